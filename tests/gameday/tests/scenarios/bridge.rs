//! The Step Functions bridge as a client of the SDK meets it.

use std::time::Duration;

use anyhow::{Result, ensure};
use multiregion_gameday::runtime::processes::Bridge;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request on `stream`, and the status line of its answer.
async fn request(stream: &mut TcpStream, port: u16) -> Result<String> {
    // A test route: it answers 200 without a state machine.
    stream
        .write_all(
            format!("GET /__bridge/calls HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    // The head, then the body: as long as Content-Length says, or chunked
    // up to its last chunk.
    loop {
        let n = stream.read(&mut chunk).await?;
        ensure!(n > 0, "the bridge closed the connection");
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let head = text[..end].to_ascii_lowercase();
        let complete = match head.lines().find_map(|l| l.strip_prefix("content-length:")) {
            Some(length) => answer.len() >= end + 4 + length.trim().parse::<usize>()?,
            None if head.contains("transfer-encoding: chunked") => text.ends_with("0\r\n\r\n"),
            None => anyhow::bail!("an answer without a length: {head}"),
        };
        if complete {
            return Ok(text.lines().next().unwrap_or_default().to_owned());
        }
    }
}

/// The SDK pools a connection for 90 s of idleness (hyper-util's default)
/// and the tests' clients make one attempt. Node closes an idle keep-alive
/// connection after 5 s by default, so a call made just as the bridge
/// closed the pooled connection failed with "connection closed before
/// message completed" (seen in a CI run). An AWS endpoint does not hang up
/// on a client within seconds: the bridge must keep an idle connection
/// until the client closes it.
#[tokio::test]
async fn an_idle_connection_stays_open_longer_than_nodes_default() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("bridge-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = serde_json::json!({ "lambda": {}, "account": "123456789012" });
    let bridge = Bridge::start(&dir, &config).await?;
    let port = bridge.port();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    assert_eq!(request(&mut stream, port).await?, "HTTP/1.1 200 OK");
    // The idleness under test: past Node's default of 5 s.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    assert_eq!(
        request(&mut stream, port).await?,
        "HTTP/1.1 200 OK",
        "the same connection answers after 6.5 s of idleness"
    );
    drop(bridge);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
