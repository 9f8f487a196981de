//! A Terraform `number` as configured. Terraform's number type holds
//! fractions as well as whole numbers, and every numeric setting of this
//! provider must be whole: decoded as an `i64`, `1.5` would fail inside the
//! plugin protocol with a message that names no attribute. Decoded as a
//! [`Number`], it reaches the checks, which refuse it on its path.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tf_provider::value::Value;

/// A configured number: whole, or with a fraction (to be refused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A whole number within `i64`.
    Whole(i64),
    /// Anything else Terraform's number type holds: a fraction, or a whole
    /// number beyond `i64`.
    Fraction(f64),
}

/// A configured number, null or unknown.
pub type ConfiguredNumber = Value<Number>;

impl Number {
    /// The whole number, if it is one.
    pub fn whole(self) -> Option<i64> {
        match self {
            Number::Whole(n) => Some(n),
            Number::Fraction(_) => None,
        }
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::Whole(n)
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Whole(n) => write!(f, "{n}"),
            Number::Fraction(x) => write!(f, "{x}"),
        }
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Number::Whole(n) => serializer.serialize_i64(*n),
            Number::Fraction(x) => serializer.serialize_f64(*x),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Number, E> {
                Ok(Number::Whole(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Number, E> {
                Ok(i64::try_from(n).map_or(Number::Fraction(n as f64), Number::Whole))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Number, E> {
                // 2^63 as f64 is just beyond i64; anything below it that has
                // no fraction converts exactly.
                let whole = x.fract() == 0.0 && x >= i64::MIN as f64 && x < i64::MAX as f64;
                Ok(if whole {
                    Number::Whole(x as i64)
                } else {
                    Number::Fraction(x)
                })
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_decode_whole_and_fractions_do_not() {
        let decode = |json: &str| serde_json::from_str::<ConfiguredNumber>(json).unwrap();
        assert_eq!(decode("900"), Value::Value(Number::Whole(900)));
        assert_eq!(decode("-5"), Value::Value(Number::Whole(-5)));
        assert_eq!(decode("60.0"), Value::Value(Number::Whole(60)));
        assert_eq!(decode("1.5"), Value::Value(Number::Fraction(1.5)));
        assert_eq!(
            decode("18446744073709551615"),
            Value::Value(Number::Fraction(18_446_744_073_709_551_615_u64 as f64))
        );
        assert_eq!(decode("null"), Value::Null);
        assert_eq!(Number::Fraction(1.5).to_string(), "1.5");
        assert_eq!(Number::Whole(7).whole(), Some(7));
        assert_eq!(Number::Fraction(7.5).whole(), None);
        let encoded = serde_json::to_string(&Value::Value(Number::Whole(3))).unwrap();
        assert_eq!(encoded, "3");
    }
}
