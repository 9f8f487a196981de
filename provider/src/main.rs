//! The plugin binary Terraform starts.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // tf-provider's gRPC server and the AWS SDK both use rustls; with more
    // than one crypto provider linked, rustls needs one chosen up front.
    let _ = rustls::crypto::ring::default_provider().install_default();
    tf_provider::serve(
        multiregion_provider::PROVIDER_NAME,
        multiregion_provider::MultiregionProvider::default(),
    )
    .await
}
