//! The HTTP translators over HTTPS: a LibreTranslate stand-in behind TLS with a certificate
//! from a private CA (`tests/fixtures/tls/`) is refused until that CA is configured.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::server::TlsStream;

use super::{TranslateError, TranslatorConfig, from_config};

/// Accepts TCP connections and completes their TLS handshake (failed handshakes are
/// dropped: that is the client refusing the certificate).
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTPS LibreTranslate stand-in that upper-cases texts; returns its base URL.
async fn https_stub() -> String {
    let certs = CertificateDer::pem_file_iter("tests/fixtures/tls/server.pem")
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file("tests/fixtures/tls/server.key").unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let app = Router::new().route(
        "/translate",
        post(|Json(body): Json<Value>| async move {
            let texts: Vec<String> = body["q"]
                .as_array()
                .map(|q| {
                    q.iter()
                        .map(|t| t.as_str().unwrap_or_default().to_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            Json(json!({ "translatedText": texts }))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("https://localhost:{port}")
}

fn libretranslate(url: &str, ca_file: Option<&str>) -> TranslatorConfig {
    TranslatorConfig::LibreTranslate {
        url: url.into(),
        api_key: None,
        timeout: Duration::from_secs(5),
        retries: 0,
        ca_file: ca_file.map(Into::into),
    }
}

#[tokio::test]
async fn https_translators_trust_the_system_roots_plus_the_configured_ca() {
    let url = https_stub().await;
    let texts = vec!["hello".to_owned()];

    // The private CA is not among the system's roots: the handshake fails, clearly.
    let untrusted = from_config(&libretranslate(&url, None)).unwrap();
    let refused = untrusted.translate("en", "es", &texts).await;
    assert!(
        matches!(&refused, Err(TranslateError::Provider(m)) if !m.is_empty()),
        "{refused:?}"
    );

    let trusted = from_config(&libretranslate(&url, Some("tests/fixtures/tls/ca.pem"))).unwrap();
    let translated = trusted
        .translate("en", "es", &texts)
        .await
        .expect("over TLS");
    assert_eq!(translated, vec!["HELLO".to_owned()]);
}
