//! The provider's clock: the ledger epochs Terraform writes and the spacing
//! of the switchover's health probes.
//!
//! Production reads the system clock. A test seam, enabled only by
//! [`ENV_TEST_CLOCK`] and logged when used, reads a simulation's clock
//! instead (the game day runs the runtime on a virtual clock; the handlers
//! take their time from their events, and Terraform's ledger entries and
//! health window must sit on the same time line). The seam accepts loopback
//! URLs only, and falls back to the system clock with a warning when the
//! test clock does not answer.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The test seam: the base URL of a test clock (`GET <url>/clock` answers
/// `{"now_ms": …}`), e.g. `http://127.0.0.1:4566/__bench`.
pub const ENV_TEST_CLOCK: &str = "MULTIREGION_TEST_CLOCK";

/// Seconds since the Unix epoch now.
pub async fn now_epoch() -> i64 {
    now_ms(true).await.div_euclid(1000)
}

/// Milliseconds since the Unix epoch now; `log` says whether a test clock's
/// use is logged (a wait that polls it logs once).
async fn now_ms(log: bool) -> i64 {
    if let Ok(url) = std::env::var(ENV_TEST_CLOCK)
        && !url.is_empty()
    {
        match read_test_clock(&url).await {
            Ok(now_ms) => {
                if log {
                    tracing::warn!(%url, now_ms, "TEST SEAM: the time is read from a test clock");
                }
                return now_ms;
            }
            Err(error) => {
                tracing::warn!(%url, %error, "TEST SEAM: the test clock did not answer; using the system clock");
            }
        }
    }
    system_ms()
}

/// Waits until the clock reads `epoch_ms`: a sleep on the system clock; on a
/// test clock, which may run faster than the wall clock, it looks every
/// 50 ms of wall time.
pub async fn sleep_until_ms(epoch_ms: i64) {
    let mut first = true;
    loop {
        let now = now_ms(first).await;
        first = false;
        if now >= epoch_ms {
            return;
        }
        let left = Duration::from_millis((epoch_ms - now) as u64);
        let test_clock = std::env::var(ENV_TEST_CLOCK).is_ok_and(|u| !u.is_empty());
        tokio::time::sleep(if test_clock {
            left.min(Duration::from_millis(50))
        } else {
            left
        })
        .await;
    }
}

/// Milliseconds since the Unix epoch now, on the provider's clock.
pub async fn now_epoch_ms() -> i64 {
    now_ms(true).await
}

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `host:port` and path of a loopback `http://` URL.
fn loopback(url: &str) -> Result<(&str, &str), String> {
    let rest = url.strip_prefix("http://").ok_or("not an http:// URL")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host != "127.0.0.1" && host != "localhost" {
        return Err(format!("{host} is not a loopback host"));
    }
    Ok((authority, path.trim_end_matches('/')))
}

async fn read_test_clock(url: &str) -> Result<i64, String> {
    let (authority, path) = loopback(url)?;
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| e.to_string())?;
        let request = format!(
            "GET /{path}/clock HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
            path = path.trim_start_matches('/')
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| "timed out".to_owned())??;
    parse_answer(&String::from_utf8_lossy(&answer))
}

fn parse_answer(answer: &str) -> Result<i64, String> {
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(head.lines().next().unwrap_or_default().to_owned());
    }
    let body: serde_json::Value = serde_json::from_str(body.trim()).map_err(|e| e.to_string())?;
    body["now_ms"]
        .as_i64()
        .ok_or_else(|| format!("no now_ms in {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert_eq!(
            loopback("http://127.0.0.1:4566/__bench/"),
            Ok(("127.0.0.1:4566", "__bench"))
        );
        assert!(loopback("http://example.com:80/clock").is_err());
        assert!(loopback("https://127.0.0.1:1/").is_err());
    }

    #[test]
    fn the_answer_carries_the_time() {
        let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"now_ms\":1700000000123,\"virtual\":true}";
        assert_eq!(parse_answer(ok), Ok(1_700_000_000_123));
        assert!(parse_answer("HTTP/1.1 404 Not Found\r\n\r\n{}").is_err());
        assert!(parse_answer("HTTP/1.1 200 OK\r\n\r\n{\"virtual\":true}").is_err());
    }

    #[tokio::test]
    async fn without_the_seam_the_system_clock_is_read() {
        let before = system_ms();
        let now = now_epoch_ms().await;
        assert!(now >= before && now <= system_ms());
        assert_eq!(now_epoch().await, system_ms().div_euclid(1000));
    }
}
