//! A stand-in for a region's Lambda Invoke endpoint that answers every
//! invocation as the ponger of that region does: `{"region": …}` in an
//! API Gateway proxy response. The real ponger binary comes with the runtime
//! (the game day runs it); this double only lets the probe's path, and what
//! relies on it, be tested without one.

use std::net::SocketAddr;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// Serves a ponger of `region` on a loopback port until the process ends;
/// returns its address.
pub async fn serve(region: &'static str) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(move |_request| async move {
                    let reply = serde_json::json!({
                        "statusCode": 200,
                        "headers": { "content-type": "application/json" },
                        "body": serde_json::json!({ "region": region }).to_string(),
                    });
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(
                        reply.to_string(),
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    Ok(address)
}
