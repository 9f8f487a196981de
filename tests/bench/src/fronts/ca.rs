//! The bench's certificate authority: it signs a certificate for whatever
//! name a front is asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The bench's certificate authority, which signs a certificate for every
/// name a front is asked for.
pub(super) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    minted: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    pub(super) fn new() -> Result<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "multiregion test bench CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)?,
            minted: Mutex::default(),
        })
    }

    pub(super) fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn certificate_for(&self, name: &str) -> Result<Arc<CertifiedKey>> {
        let mut minted = self.minted.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = minted.get(name) {
            return Ok(key.clone());
        }
        let key_pair = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![name.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key_pair, &self.issuer)?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
        let signing = rustls::crypto::ring::sign::any_supported_type(&private)?;
        let certified = Arc::new(CertifiedKey::new(
            vec![
                cert.der().clone(),
                CertificateDer::from(self.issuer.der().to_vec()),
            ],
            signing,
        ));
        minted.insert(name.to_owned(), certified.clone());
        Ok(certified)
    }
}

impl ResolvesServerCert for Ca {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().unwrap_or("localhost");
        self.certificate_for(name).ok()
    }
}
