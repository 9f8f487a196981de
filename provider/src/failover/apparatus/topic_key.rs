//! The KMS key of a notification topic the user gave.
//!
//! SNS encrypts a message with its topic's key as it accepts it, using the
//! publisher's own permissions: besides `sns:Publish`, a publisher needs
//! `kms:GenerateDataKey` and `kms:Decrypt` on the key. An AWS service that
//! publishes, as CloudWatch does for the paging alarm, needs them from the
//! key's policy, and only a customer managed key's policy can give them: the
//! policy of the AWS managed key `alias/aws/sns` cannot be changed (Amazon SNS
//! Developer Guide, "Key management", and "Enable compatibility between event
//! sources from AWS services and encrypted topics",
//! <https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html>).
//!
//! So the notifier's role is granted the key of the topic, by its exact ARN
//! and through SNS only; a topic under the AWS managed key is refused at
//! plan, and so is a key named by an alias, which IAM cannot scope a grant
//! to without a condition the linters do not know.

use aws_sdk_sns::Client;
use aws_sdk_sns::error::SdkError;
use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesError;

/// The alias of the AWS managed key for SNS.
pub const AWS_MANAGED_ALIAS: &str = "alias/aws/sns";

/// Where the docs of encrypted topics are.
pub const DOCS: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html";

/// How a topic is encrypted, from its `KmsMasterKeyId` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicKey {
    /// The AWS managed key `alias/aws/sns`: CloudWatch cannot publish.
    AwsManaged,
    /// A key named by an alias (its name, or its alias ARN).
    Alias(String),
    /// A key, by its ARN (given as an ARN, or as a key id in the topic's
    /// account and region).
    Key(String),
}

impl TopicKey {
    /// Reads a `KmsMasterKeyId` of the topic `topic_arn`; `None` when the
    /// topic is not encrypted.
    pub fn of(kms_master_key_id: &str, topic_arn: &str) -> Option<TopicKey> {
        let id = kms_master_key_id.trim();
        if id.is_empty() {
            return None;
        }
        let alias = if id.starts_with("alias/") {
            Some(id)
        } else if id.starts_with("arn:") {
            id.find(":alias/").map(|at| &id[at + 1..])
        } else {
            None
        };
        Some(match alias {
            Some(AWS_MANAGED_ALIAS) => TopicKey::AwsManaged,
            Some(alias) => TopicKey::Alias(alias.to_owned()),
            None if id.starts_with("arn:") => TopicKey::Key(id.to_owned()),
            None => {
                // arn:<partition>:sns:<region>:<account>:<name>
                let parts: Vec<&str> = topic_arn.split(':').collect();
                let (partition, region, account) = match parts.as_slice() {
                    [_, partition, _, region, account, ..] => (*partition, *region, *account),
                    _ => ("aws", "", ""),
                };
                TopicKey::Key(format!("arn:{partition}:kms:{region}:{account}:key/{id}"))
            }
        })
    }

    /// The key's ARN, when the notifier's role can be granted it.
    pub fn grantable_arn(&self) -> Option<&str> {
        match self {
            TopicKey::Key(arn) => Some(arn),
            TopicKey::AwsManaged | TopicKey::Alias(_) => None,
        }
    }
}

/// Reads how the topic `topic_arn` is encrypted (one GetTopicAttributes).
pub async fn read(
    sns: &Client,
    topic_arn: &str,
) -> Result<Option<TopicKey>, SdkError<GetTopicAttributesError>> {
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(topic_arn)
        .send()
        .await?;
    Ok(attributes
        .attributes()
        .and_then(|a| a.get("KmsMasterKeyId"))
        .and_then(|id| TopicKey::of(id, topic_arn)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "arn:aws:sns:us-west-2:123456789012:pager";

    #[test]
    fn every_form_of_key_id_is_read() {
        assert_eq!(TopicKey::of("", TOPIC), None);
        assert_eq!(
            TopicKey::of("alias/aws/sns", TOPIC),
            Some(TopicKey::AwsManaged)
        );
        assert_eq!(
            TopicKey::of("arn:aws:kms:us-west-2:123456789012:alias/aws/sns", TOPIC),
            Some(TopicKey::AwsManaged)
        );
        assert_eq!(
            TopicKey::of("alias/pager", TOPIC),
            Some(TopicKey::Alias("alias/pager".into()))
        );
        assert_eq!(
            TopicKey::of("arn:aws:kms:us-west-2:123456789012:alias/pager", TOPIC),
            Some(TopicKey::Alias("alias/pager".into()))
        );
        let arn = "arn:aws:kms:us-west-2:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(TopicKey::of(arn, TOPIC), Some(TopicKey::Key(arn.into())));
        assert_eq!(
            TopicKey::of("1234abcd-12ab-34cd-56ef-1234567890ab", TOPIC),
            Some(TopicKey::Key(
                "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into()
            ))
        );
        assert_eq!(
            TopicKey::of("mrk-1234abcd12ab34cd56ef1234567890ab", TOPIC)
                .as_ref()
                .and_then(TopicKey::grantable_arn),
            Some("arn:aws:kms:us-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab")
        );
    }
}
