//! AWS regions: the list of real ones, and the partition each belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every commercial, China and GovCloud region that has API Gateway, Lambda and
/// Step Functions. A region not listed here is refused, so that a typo
/// (`us-east1`) is caught at plan time instead of as a DNS failure at apply.
const KNOWN_REGIONS: &[(&str, Partition)] = &[
    ("af-south-1", Partition::Aws),
    ("ap-east-1", Partition::Aws),
    ("ap-east-2", Partition::Aws),
    ("ap-northeast-1", Partition::Aws),
    ("ap-northeast-2", Partition::Aws),
    ("ap-northeast-3", Partition::Aws),
    ("ap-south-1", Partition::Aws),
    ("ap-south-2", Partition::Aws),
    ("ap-southeast-1", Partition::Aws),
    ("ap-southeast-2", Partition::Aws),
    ("ap-southeast-3", Partition::Aws),
    ("ap-southeast-4", Partition::Aws),
    ("ap-southeast-5", Partition::Aws),
    ("ap-southeast-6", Partition::Aws),
    ("ap-southeast-7", Partition::Aws),
    ("ca-central-1", Partition::Aws),
    ("ca-west-1", Partition::Aws),
    ("eu-central-1", Partition::Aws),
    ("eu-central-2", Partition::Aws),
    ("eu-north-1", Partition::Aws),
    ("eu-south-1", Partition::Aws),
    ("eu-south-2", Partition::Aws),
    ("eu-west-1", Partition::Aws),
    ("eu-west-2", Partition::Aws),
    ("eu-west-3", Partition::Aws),
    ("il-central-1", Partition::Aws),
    ("me-central-1", Partition::Aws),
    ("me-south-1", Partition::Aws),
    ("mx-central-1", Partition::Aws),
    ("sa-east-1", Partition::Aws),
    ("us-east-1", Partition::Aws),
    ("us-east-2", Partition::Aws),
    ("us-west-1", Partition::Aws),
    ("us-west-2", Partition::Aws),
    ("cn-north-1", Partition::AwsCn),
    ("cn-northwest-1", Partition::AwsCn),
    ("us-gov-east-1", Partition::AwsUsGov),
    ("us-gov-west-1", Partition::AwsUsGov),
];

/// An AWS partition: the first field of every ARN after `arn:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// The commercial regions.
    Aws,
    /// The China regions.
    AwsCn,
    /// The GovCloud (US) regions.
    AwsUsGov,
}

impl Partition {
    /// The partition as it appears in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The partition's DNS suffix of regional endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
        }
    }
}

/// A real AWS region, such as `us-east-1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(String);

/// A string that is not the code of a known AWS region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known AWS region code (for example `us-east-1`)")]
pub struct UnknownRegion(pub String);

impl Region {
    /// Parses a region code, refusing anything that is not a known region.
    pub fn new(code: &str) -> Result<Self, UnknownRegion> {
        code.parse()
    }

    /// The region code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partition the region belongs to.
    pub fn partition(&self) -> Partition {
        KNOWN_REGIONS
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, partition)| *partition)
            .unwrap_or(Partition::Aws)
    }

    /// All known region codes, for diagnostics.
    pub fn known() -> impl Iterator<Item = &'static str> {
        KNOWN_REGIONS.iter().map(|(code, _)| *code)
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        if KNOWN_REGIONS.iter().any(|(known, _)| *known == code) {
            Ok(Region(code.to_owned()))
        } else {
            Err(UnknownRegion(code.to_owned()))
        }
    }
}

impl TryFrom<String> for Region {
    type Error = UnknownRegion;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        code.parse()
    }
}

impl From<Region> for String {
    fn from(region: Region) -> Self {
        region.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_parse_and_typos_do_not() {
        assert_eq!(
            Region::new("us-east-1").map(|r| r.partition()),
            Ok(Partition::Aws)
        );
        assert_eq!(
            Region::new("cn-north-1").map(|r| r.partition().as_str()),
            Ok("aws-cn")
        );
        for bad in ["us-east1", "US-EAST-1", "", "us-east-1 ", "mars-north-1"] {
            assert_eq!(
                Region::new(bad),
                Err(UnknownRegion(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
