//! What a user has before the first apply: a public hosted zone and an
//! ISSUED certificate in each region. Created in moto through the proxy.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::Bench;

/// SDK configuration for `region` through the bench's proxy, signing with
/// `access_key` (so the proxy log can tell callers apart), one attempt per
/// call.
pub async fn sdk_config(bench: &Bench, region: &str, access_key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .endpoint_url(bench.endpoint_url())
        .credentials_provider(Credentials::new(
            access_key,
            crate::SECRET_KEY,
            None,
            None,
            "bench",
        ))
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// A zone and certificates.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The zone id, without `/hostedzone/`.
    pub zone_id: String,
    /// The zone name.
    pub zone_name: String,
    /// An ISSUED certificate per region, covering the names asked for.
    pub certificates: BTreeMap<String, String>,
}

/// Creates the public zone `zone_name` and, in each of `regions`, an ACM
/// certificate for `names` (the first is the certificate's domain name, the
/// rest its alternative names).
pub async fn zone_and_certificates(
    bench: &Bench,
    zone_name: &str,
    names: &[&str],
    regions: &[&str],
) -> Result<Seeded> {
    let route53 = aws_sdk_route53::Client::new(&sdk_config(bench, "us-east-1", "seed").await);
    let zone = route53
        .create_hosted_zone()
        .name(zone_name)
        .caller_reference(format!("seed-{}", crate::request_id()))
        .send()
        .await
        .context("creating the hosted zone")?;
    let zone_id = zone
        .hosted_zone()
        .context("no zone returned")?
        .id()
        .trim_start_matches("/hostedzone/")
        .to_owned();
    let mut certificates = BTreeMap::new();
    for region in regions {
        let acm = aws_sdk_acm::Client::new(&sdk_config(bench, region, "seed").await);
        let (first, rest) = names.split_first().context("at least one name")?;
        let requested = acm
            .request_certificate()
            .domain_name(*first)
            .set_subject_alternative_names(Some(names.iter().map(|n| (*n).to_owned()).collect()))
            .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
            .send()
            .await
            .with_context(|| format!("requesting a certificate in {region}"))?;
        let _ = rest;
        certificates.insert(
            (*region).to_owned(),
            requested
                .certificate_arn()
                .context("no certificate ARN")?
                .to_owned(),
        );
    }
    Ok(Seeded {
        zone_id,
        zone_name: zone_name.to_owned(),
        certificates,
    })
}

/// Imports into ACM in `region` a certificate for `names` that expires two
/// seconds after the import, and waits until ACM reports it EXPIRED (ACM
/// refuses to import one that has already expired). For tests of the
/// ISSUED check.
pub async fn import_expired_certificate(
    bench: &Bench,
    region: &str,
    names: &[&str],
) -> Result<String> {
    let key = rcgen::KeyPair::generate()?;
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(86_400)).into();
    params.not_after = (now + std::time::Duration::from_secs(2)).into();
    let certificate = params.self_signed(&key)?;
    let acm = aws_sdk_acm::Client::new(&sdk_config(bench, region, "seed").await);
    let imported = acm
        .import_certificate()
        .certificate(aws_smithy_types::Blob::new(certificate.pem().into_bytes()))
        .private_key(aws_smithy_types::Blob::new(
            key.serialize_pem().into_bytes(),
        ))
        .send()
        .await
        .context("importing the short-lived certificate")?;
    let arn = imported.certificate_arn().context("no ARN")?.to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let described = acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await?;
        let status = described.certificate().and_then(|c| c.status()).cloned();
        if status == Some(aws_sdk_acm::types::CertificateStatus::Expired) {
            return Ok(arn);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the certificate is still {status:?} after 30 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
