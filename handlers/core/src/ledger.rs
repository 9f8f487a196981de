//! The ledger: a TXT record next to the active name that records every swap.
//!
//! The alias records are the truth about which region is active; the ledger is
//! the history that travels with them, written in the same atomic change batch.
//! It holds the active region, a generation that every swap raises by one, the
//! time of the swap (seconds since the Unix epoch, from the event that caused
//! it), the reason and the execution that did it.
//!
//! Encoding, version 2 (fields separated by `|`, no field may contain `|`,
//! quotes, backslashes or whitespace):
//!
//! ```text
//! mr2|us-west-2|7|1764000000|runtime|arn:aws:states:us-west-2:123:execution:mr-orders-failover:i1-g6-t1764000000|1763990000,1764000000
//! ```
//!
//! The execution field is `-` when there is none. The last field lists the
//! times of the automatic (runtime) swaps of the [`AUTOMATIC_WINDOW_SECONDS`]
//! up to this one, oldest first, at most [`MAX_RECENT`], `-` when there are
//! none: the circuit breaker counts them. Version 1 (written by earlier
//! providers) has no last field and still decodes, with none. In Route 53 the text is
//! stored as one or more quoted strings of at most 255 characters each.

use std::fmt;
use std::str::FromStr;

use crate::region::Region;

/// The version tag of the encoding this code writes.
pub const VERSION: &str = "mr2";

/// The version tag of the first encoding, which this code still reads.
pub const VERSION_1: &str = "mr1";

/// The window the recent automatic swaps are kept for: 24 hours.
pub const AUTOMATIC_WINDOW_SECONDS: i64 = 24 * 3600;

/// Most recent automatic swaps kept.
pub const MAX_RECENT: usize = 10;

/// Longest execution identifier accepted: a Step Functions execution ARN is
/// well below this; the limit keeps the TXT record small.
pub const MAX_EXECUTION_LEN: usize = 512;

/// Route 53 limits each character-string of a TXT value to 255 characters.
const TXT_CHUNK: usize = 255;

/// Why the active region was last set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Written by `terraform apply` when the resource was created. It is not a
    /// swap, and the cooldown does not count it: an outage in a new
    /// deployment's first minutes is answered like any other.
    Create,
    /// An automatic failover by the runtime (the pinger's state machine).
    Runtime,
    /// A planned switchover or failback through `terraform apply`.
    Terraform,
    /// A manual start of the state machine by an operator.
    Manual,
    /// A repair of broken records through `terraform apply`.
    Repair,
}

impl Reason {
    /// Whether the entry moved traffic, so the cooldown counts it: a swap
    /// by the runtime, a person or Terraform; not the entry written at
    /// create, nor a repair of broken records.
    pub fn moved_traffic(self) -> bool {
        matches!(self, Reason::Runtime | Reason::Terraform | Reason::Manual)
    }

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
    /// The times of the automatic swaps of the last
    /// [`AUTOMATIC_WINDOW_SECONDS`] up to this entry, oldest first.
    pub recent_automatic: Vec<i64>,
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
    #[error("the ledger has version `{0}`, but this code reads only `{VERSION_1}` and `{VERSION}`")]
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
            recent_automatic: Vec::new(),
        })
    }

    /// The automatic swaps at most [`AUTOMATIC_WINDOW_SECONDS`] before
    /// `now`, this entry's included.
    pub fn automatic_swaps_before(&self, now: i64) -> usize {
        self.recent_automatic
            .iter()
            .filter(|t| now - **t < AUTOMATIC_WINDOW_SECONDS)
            .count()
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
        let mut next = Ledger::new(active_region, generation, epoch, reason, execution)?;
        let mut recent: Vec<i64> = previous
            .map(|p| p.recent_automatic.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| epoch - t < AUTOMATIC_WINDOW_SECONDS && *t <= epoch)
            .collect();
        if reason == Reason::Runtime {
            recent.push(epoch);
        }
        let cut = recent.len().saturating_sub(MAX_RECENT);
        next.recent_automatic = recent.split_off(cut);
        Ok(next)
    }

    /// The bare text of this entry.
    pub fn encode(&self) -> String {
        let recent = if self.recent_automatic.is_empty() {
            "-".to_owned()
        } else {
            self.recent_automatic
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{VERSION}|{}|{}|{}|{}|{}|{recent}",
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
        let expected = match fields[0] {
            VERSION_1 => 6,
            VERSION => 7,
            other => {
                let version: String = other.chars().take(16).collect();
                return Err(LedgerError::UnknownVersion(version));
            }
        };
        if fields.len() != expected {
            return Err(LedgerError::FieldCount {
                expected,
                found: fields.len(),
            });
        }
        let (region, generation, epoch, reason, execution) =
            (fields[1], fields[2], fields[3], fields[4], fields[5]);
        let recent_automatic = match fields.get(6) {
            None | Some(&"-") => Vec::new(),
            Some(list) => {
                let times: Option<Vec<i64>> = list
                    .split(',')
                    .map(|t| {
                        t.bytes()
                            .all(|b| b.is_ascii_digit())
                            .then(|| t.parse::<i64>().ok())
                            .flatten()
                    })
                    .collect();
                match times {
                    Some(times) if times.len() <= MAX_RECENT => times,
                    _ => return Err(LedgerError::BadEpoch((*list).to_owned())),
                }
            }
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
        let mut ledger = Ledger::new(active_region, generation, epoch, reason, execution)?;
        ledger.recent_automatic = recent_automatic;
        Ok(ledger)
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
            "\"mr2|us-east-1|1|1700000000|create|-|-\""
        );
        // What an earlier provider wrote still reads, with no recent swaps.
        let v1 = Ledger::decode("mr1|us-west-2|3|1700000000|runtime|-").unwrap();
        assert_eq!((v1.generation, v1.recent_automatic.len()), (3, 0));
    }

    #[test]
    fn the_recent_automatic_swaps_of_a_day_travel_with_the_ledger() {
        let day = AUTOMATIC_WINDOW_SECONDS;
        let first = Ledger::next(None, region("us-east-1"), 0, Reason::Create, None).unwrap();
        let a = Ledger::next(
            Some(&first),
            region("us-west-2"),
            100,
            Reason::Runtime,
            None,
        )
        .unwrap();
        let b = Ledger::next(Some(&a), region("us-east-1"), 1_000, Reason::Runtime, None).unwrap();
        let c = Ledger::next(
            Some(&b),
            region("us-west-2"),
            2_000,
            Reason::Terraform,
            None,
        )
        .unwrap();
        assert_eq!(
            c.recent_automatic,
            [100, 1_000],
            "a planned switchover is not counted"
        );
        assert_eq!(c.automatic_swaps_before(2_000), 2);
        assert_eq!(
            c.automatic_swaps_before(100 + day),
            1,
            "the first left the window"
        );
        let d = Ledger::next(
            Some(&c),
            region("us-east-1"),
            1_000 + day,
            Reason::Runtime,
            None,
        )
        .unwrap();
        assert_eq!(d.recent_automatic, [1_000 + day]);
        assert_eq!(Ledger::decode(&d.encode()), Ok(d.clone()));
        let mut many = first.clone();
        for t in 1..=20 {
            many =
                Ledger::next(Some(&many), region("us-east-1"), t, Reason::Runtime, None).unwrap();
        }
        assert_eq!(many.recent_automatic.len(), MAX_RECENT);
        assert_eq!(many.recent_automatic.last(), Some(&20));
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
            ("mr3|us-east-1|1|0|create|-|-", UnknownVersion("mr3".into())),
            (
                "mr2|us-east-1|1|0|create|-",
                FieldCount {
                    expected: 7,
                    found: 6,
                },
            ),
            ("mr2|us-east-1|1|0|create|-|1,x", BadEpoch("1,x".into())),
            ("mr2|us-east-1|1|0|create|-|", BadEpoch("".into())),
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
