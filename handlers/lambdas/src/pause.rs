//! The automation flag as the handlers read and write it: the tag
//! [`automation::TAG`] on a region's state machine (see
//! `multiregion_core::automation`). One place for the pinger, which reads it
//! before it starts a failover, and the swapper, which reads it before every
//! swap and whose circuit breaker sets it.

use multiregion_core::automation::{self, Automation};

use crate::error::HandlerError;

/// The flag on the state machine `arn`.
pub async fn read(sfn: &aws_sdk_sfn::Client, arn: &str) -> Result<Automation, HandlerError> {
    let tags = sfn
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| HandlerError::from_sdk("ListTagsForResource", e))?;
    let value = tags
        .tags()
        .iter()
        .find(|t| t.key() == Some(automation::TAG))
        .and_then(|t| t.value());
    Ok(Automation::from_tag(value))
}

/// Sets the flag on the state machine `arn` to `value` (a pause).
pub async fn set(sfn: &aws_sdk_sfn::Client, arn: &str, value: &str) -> Result<(), HandlerError> {
    sfn.tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_sfn::types::Tag::builder()
                .key(automation::TAG)
                .value(value)
                .build(),
        )
        .send()
        .await
        .map_err(|e| HandlerError::from_sdk("TagResource", e))?;
    Ok(())
}
