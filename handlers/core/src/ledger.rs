//! The ledger: a TXT record next to the active name that records every swap.
//!
//! The alias records are the truth about which region is active; the ledger is
//! the history that travels with them, written in the same atomic change batch.
//! It holds the active region, a generation that every swap raises by one, the
//! time of the swap (seconds since the Unix epoch, from the event that caused
//! it), the reason and the execution that did it.
//!
//! Encoding, version 1 (fields separated by `|`, no field may contain `|`,
//! quotes, backslashes or whitespace):
//!
//! ```text
//! mr1|us-west-2|7|1764000000|runtime|arn:aws:states:us-west-2:123:execution:mr-orders-failover:failover-6-1
//! ```
//!
//! The last field is `-` when there is no execution. In Route 53 the text is
//! stored as one or more quoted strings of at most 255 characters each.

use std::fmt;
use std::str::FromStr;

use crate::region::Region;

/// The version tag of the encoding this code writes.
pub const VERSION: &str = "mr1";

/// Longest execution identifier accepted: a Step Functions execution ARN is
/// well below this; the limit keeps the TXT record small.
pub const MAX_EXECUTION_LEN: usize = 512;

/// Route 53 limits each character-string of a TXT value to 255 characters.
const TXT_CHUNK: usize = 255;

/// Why the active region was last set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Written by `terraform apply` when the resource was created. Counts as a
    /// swap for the cooldown, so a fresh deployment cannot fail over at once.
    Create,
    /// An automatic failover by the runtime (alarm, kicker, state machine).
    Runtime,
    /// A planned switchover or failback through `terraform apply`.
    Terraform,
    /// A manual start of the state machine by an operator.
    Manual,
    /// A repair of broken records through `terraform apply`.
    Repair,
}

impl Reason {
    /// The reason as written in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Create => "create",
            Reason::Runtime => "runtime",
            Reason::Terraform => "terraform",
            Reason::Manual => "manual",
            Reason::Repair => "repair",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reason {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "create" => Reason::Create,
            "runtime" => Reason::Runtime,
            "terraform" => Reason::Terraform,
            "manual" => Reason::Manual,
            "repair" => Reason::Repair,
            other => return Err(LedgerError::BadReason(other.to_owned())),
        })
    }
}

/// One ledger entry: the state after the latest swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    /// The region the swap made active.
    pub active_region: Region,
    /// Raised by one by every swap; 1 for the ledger written at create.
    pub generation: u64,
    /// When the swap happened, in seconds since the Unix epoch.
    pub epoch: i64,
    /// Why it happened.
    pub reason: Reason,
    /// What did it: a Step Functions execution ARN, or `None`.
    pub execution: Option<String>,
}

/// Why a ledger could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The record holds no text.
    #[error("the ledger is empty")]
    Empty,
    /// The TXT value is not a sequence of quoted strings.
    #[error("the ledger's TXT value is not a sequence of quoted strings: {0}")]
    BadQuoting(String),
    /// The text starts with a version this code does not know.
    #[error("the ledger has version `{0}`, but this code reads only `{VERSION}`")]
    UnknownVersion(String),
    /// The text does not have the number of fields of its version.
    #[error("the ledger has {found} fields, expected {expected}")]
    FieldCount {
        /// Fields the version has.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// The region field is not a known region.
    #[error("the ledger's region `{0}` is not a known AWS region")]
    BadRegion(String),
    /// The generation is not an unsigned integer.
    #[error("the ledger's generation `{0}` is not an unsigned integer")]
    BadGeneration(String),
    /// The time is not a non-negative integer.
    #[error("the ledger's time `{0}` is not a non-negative number of seconds")]
    BadEpoch(String),
    /// The reason is not one this code knows.
    #[error("the ledger's reason `{0}` is not one of create, runtime, terraform, manual, repair")]
    BadReason(String),
    /// The execution holds a character the encoding cannot carry, or is too long.
    #[error(
        "the execution `{0}` is empty, longer than {MAX_EXECUTION_LEN} characters, or holds |, quotes, backslashes, whitespace or non-ASCII"
    )]
    BadExecution(String),
}

fn valid_execution(execution: &str) -> bool {
    !execution.is_empty()
        && execution != "-"
        && execution.len() <= MAX_EXECUTION_LEN
        && execution
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'|' | b'"' | b'\\'))
}

impl Ledger {
    /// A ledger entry; fails if `execution` cannot be carried by the encoding.
    pub fn new(
        active_region: Region,
        generation: u64,
        epoch: i64,
        reason: Reason,
        execution: Option<String>,
    ) -> Result<Self, LedgerError> {
        if epoch < 0 {
            return Err(LedgerError::BadEpoch(epoch.to_string()));
        }
        if let Some(execution) = &execution
            && !valid_execution(execution)
        {
            return Err(LedgerError::BadExecution(execution.clone()));
        }
        Ok(Ledger {
            active_region,
            generation,
            epoch,
            reason,
            execution,
        })
    }

    /// The entry that follows this one after a swap to `active_region`.
    pub fn next(
        previous: Option<&Ledger>,
        active_region: Region,
        epoch: i64,
        reason: Reason,
        execution: Option<String>,
    ) -> Result<Self, LedgerError> {
        let generation = previous.map_or(1, |p| p.generation.saturating_add(1));
        Ledger::new(active_region, generation, epoch, reason, execution)
    }

    /// The bare text of this entry.
    pub fn encode(&self) -> String {
        format!(
            "{VERSION}|{}|{}|{}|{}|{}",
            self.active_region,
            self.generation,
            self.epoch,
            self.reason,
            self.execution.as_deref().unwrap_or("-"),
        )
    }

    /// Decodes the bare text of an entry. Never panics, whatever the input.
    pub fn decode(text: &str) -> Result<Self, LedgerError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LedgerError::Empty);
        }
        let fields: Vec<&str> = text.split('|').collect();
        if fields[0] != VERSION {
            let version: String = fields[0].chars().take(16).collect();
            return Err(LedgerError::UnknownVersion(version));
        }
        let [_, region, generation, epoch, reason, execution] = fields[..] else {
            return Err(LedgerError::FieldCount {
                expected: 6,
                found: fields.len(),
            });
        };
        let active_region =
            Region::new(region).map_err(|_| LedgerError::BadRegion(region.to_owned()))?;
        let generation = if generation.bytes().all(|b| b.is_ascii_digit()) {
            generation.parse::<u64>().ok()
        } else {
            None
        }
        .ok_or_else(|| LedgerError::BadGeneration(generation.to_owned()))?;
        let epoch = if epoch.bytes().all(|b| b.is_ascii_digit()) {
            epoch.parse::<i64>().ok()
        } else {
            None
        }
        .ok_or_else(|| LedgerError::BadEpoch(epoch.to_owned()))?;
        let reason = reason.parse()?;
        let execution = match execution {
            "-" => None,
            e if valid_execution(e) => Some(e.to_owned()),
            e => return Err(LedgerError::BadExecution(e.to_owned())),
        };
        Ledger::new(active_region, generation, epoch, reason, execution)
    }

    /// The value of the TXT record: the text as quoted strings of at most 255
    /// characters each (the text is ASCII without quotes, so no escaping).
    pub fn to_txt_value(&self) -> String {
        let text = self.encode();
        text.as_bytes()
            .chunks(TXT_CHUNK)
            .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Decodes the value of the TXT record as Route 53 returns it.
    pub fn from_txt_value(value: &str) -> Result<Self, LedgerError> {
        Ledger::decode(&unquote_txt(value)?)
    }
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "generation {} made {} active at {} ({}",
            self.generation,
            self.active_region,
            rfc3339(self.epoch),
            self.reason
        )?;
        match &self.execution {
            Some(execution) => write!(f, ", {execution})"),
            None => f.write_str(")"),
        }
    }
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC
/// (`2026-11-24T03:07:55Z`).
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let seconds = epoch.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3_600,
        seconds % 3_600 / 60,
        seconds % 60
    )
}

/// Joins the quoted character-strings of a TXT value, undoing `\"`, `\\` and
/// `\DDD` escapes.
pub fn unquote_txt(value: &str) -> Result<String, LedgerError> {
    let mut out = String::new();
    let mut chars = value.trim().chars().peekable();
    let bad = |why: &str| LedgerError::BadQuoting(why.to_owned());
    if chars.peek().is_none() {
        return Err(LedgerError::Empty);
    }
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => continue,
            '"' => loop {
                match chars.next() {
                    None => return Err(bad("a quoted string is not closed")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(d) if d.is_ascii_digit() => {
                            let mut code = d.to_digit(10).unwrap_or(0);
                            for _ in 0..2 {
                                match chars.next().and_then(|d| d.to_digit(10)) {
                                    Some(d) => code = code * 10 + d,
                                    None => return Err(bad("a \\DDD escape is cut short")),
                                }
                            }
                            let byte = u8::try_from(code)
                                .map_err(|_| bad("a \\DDD escape is above 255"))?;
                            out.push(char::from(byte));
                        }
                        Some(escaped) => out.push(escaped),
                        None => return Err(bad("the value ends in a backslash")),
                    },
                    Some(other) => out.push(other),
                }
            },
            _ => return Err(bad("text outside quotes")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::new(code).unwrap()
    }

    fn sample() -> Ledger {
        Ledger::new(
            region("us-west-2"),
            7,
            1_764_000_000,
            Reason::Runtime,
            Some(
                "arn:aws:states:us-west-2:123456789012:execution:mr-orders-failover:failover-6-1"
                    .into(),
            ),
        )
        .unwrap()
    }

    #[test]
    fn round_trips() {
        let cases = [
            sample(),
            Ledger::new(region("us-east-1"), 1, 0, Reason::Create, None).unwrap(),
            Ledger::new(
                region("cn-north-1"),
                u64::MAX,
                i64::MAX,
                Reason::Manual,
                None,
            )
            .unwrap(),
            Ledger::new(
                region("eu-west-1"),
                3,
                5,
                Reason::Terraform,
                Some("x".repeat(500)),
            )
            .unwrap(),
        ];
        for ledger in cases {
            assert_eq!(Ledger::decode(&ledger.encode()), Ok(ledger.clone()));
            let txt = ledger.to_txt_value();
            assert!(
                txt.split("\" \"")
                    .all(|chunk| chunk.trim_matches('"').len() <= 255),
                "{txt}"
            );
            assert_eq!(Ledger::from_txt_value(&txt), Ok(ledger));
        }
    }

    #[test]
    fn encoding_is_compact_and_stable() {
        assert_eq!(
            Ledger::new(region("us-east-1"), 1, 1_700_000_000, Reason::Create, None)
                .unwrap()
                .to_txt_value(),
            "\"mr1|us-east-1|1|1700000000|create|-\""
        );
    }

    #[test]
    fn epochs_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_489_675), "2026-11-24T03:07:55Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn next_raises_the_generation_by_one() {
        let first = Ledger::next(None, region("us-east-1"), 10, Reason::Create, None).unwrap();
        assert_eq!(first.generation, 1);
        let second =
            Ledger::next(Some(&first), region("us-west-2"), 20, Reason::Runtime, None).unwrap();
        assert_eq!(second.generation, 2);
    }

    #[test]
    fn malformed_inputs_give_typed_errors() {
        use LedgerError::*;
        let cases: &[(&str, LedgerError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("mr2|us-east-1|1|0|create|-", UnknownVersion("mr2".into())),
            ("hello world", UnknownVersion("hello world".into())),
            (
                "mr1|us-east-1|1|0|create",
                FieldCount {
                    expected: 6,
                    found: 5,
                },
            ),
            (
                "mr1|us-east-1|1|0|create|-|extra",
                FieldCount {
                    expected: 6,
                    found: 7,
                },
            ),
            (
                "mr1",
                FieldCount {
                    expected: 6,
                    found: 1,
                },
            ),
            ("mr1|us-east1|1|0|create|-", BadRegion("us-east1".into())),
            ("mr1|us-east-1|-1|0|create|-", BadGeneration("-1".into())),
            ("mr1|us-east-1|+1|0|create|-", BadGeneration("+1".into())),
            ("mr1|us-east-1||0|create|-", BadGeneration("".into())),
            (
                "mr1|us-east-1|99999999999999999999|0|create|-",
                BadGeneration("99999999999999999999".into()),
            ),
            ("mr1|us-east-1|1|-5|create|-", BadEpoch("-5".into())),
            ("mr1|us-east-1|1|1.5|create|-", BadEpoch("1.5".into())),
            ("mr1|us-east-1|1|0|panic|-", BadReason("panic".into())),
            ("mr1|us-east-1|1|0|Runtime|-", BadReason("Runtime".into())),
            ("mr1|us-east-1|1|0|create|", BadExecution("".into())),
            ("mr1|us-east-1|1|0|create|a b", BadExecution("a b".into())),
            ("mr1|us-east-1|1|0|create|é", BadExecution("é".into())),
        ];
        for (input, want) in cases {
            assert_eq!(Ledger::decode(input).as_ref(), Err(want), "{input:?}");
        }
        let quoting: &[(&str, LedgerError)] = &[
            ("", Empty),
            (
                "mr1|us-east-1|1|0|create|-",
                BadQuoting("text outside quotes".into()),
            ),
            (
                "\"mr1|us-east-1",
                BadQuoting("a quoted string is not closed".into()),
            ),
            (
                "\"abc\\",
                BadQuoting("the value ends in a backslash".into()),
            ),
            ("\"\\99\"", BadQuoting("a \\DDD escape is cut short".into())),
            (
                "\"\\999\"",
                BadQuoting("a \\DDD escape is above 255".into()),
            ),
            ("\"\"", Empty),
        ];
        for (input, want) in quoting {
            assert_eq!(
                Ledger::from_txt_value(input).as_ref(),
                Err(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn escaped_and_split_values_decode() {
        let value = "\"mr1|us-east-1|4|9|\" \"\\109anual|-\"";
        assert_eq!(
            Ledger::from_txt_value(value),
            Ok(Ledger::new(region("us-east-1"), 4, 9, Reason::Manual, None).unwrap())
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A fixed-seed xorshift generator: deterministic, no extra crates.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet: Vec<char> = "mr1|\"\\ 0123456789-abcdefghijklmnopqrstuvwxyzé\t\n:/"
            .chars()
            .collect();
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let mut input: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if next() % 3 == 0 {
                input = format!("mr1|{input}");
            }
            // Whatever decodes must re-encode to the same entry.
            for decoded in [Ledger::decode(&input), Ledger::from_txt_value(&input)]
                .into_iter()
                .flatten()
            {
                assert_eq!(Ledger::decode(&decoded.encode()), Ok(decoded));
            }
        }
        let raw: Vec<u8> = (0..4096).map(|_| (next() & 0xff) as u8).collect();
        assert!(Ledger::from_txt_value(&String::from_utf8_lossy(&raw)).is_err());
    }
}
