//! The only module that opens sockets.
//!
//! SPEC §7: the secret goes only to allowed hosts, plain HTTP only to
//! loopback, responses are read with a size cap under one total deadline,
//! and no redirect leaves the host it was sent to. The TLS root store is
//! loaded only when an `https` request is really about to be sent.

use std::net::IpAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::secret::Secret;

/// Larger answers are not an API answer we understand (SPEC §7 rule 4).
pub const BODY_CAP: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub enum Auth {
    Bearer,
    Basic { username: String },
}

#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
}

impl Request {
    pub fn get(url: impl Into<String>, auth: Auth) -> Self {
        Self {
            url: url.into(),
            auth,
            headers: Vec::new(),
        }
    }

    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The receive-pack advertisement git itself just obtained (in the
    /// pre-push hook): a 200, as the push probe would have got.
    pub fn git_witnessed_advertisement() -> Self {
        Self {
            status: 200,
            headers: vec![(
                "content-type".to_owned(),
                "application/x-git-receive-pack-advertisement".to_owned(),
            )],
            body: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Timeout,
    Network(String),
    TooLarge,
    /// Not sent: the destination is not one the secret may go to.
    NotAllowed(String),
}

pub type Outcome = std::result::Result<Response, Failure>;

/// Where the secret may be sent for this check (SPEC §7 rule 2).
#[derive(Clone, Debug, Default)]
pub struct Destinations {
    /// `host` or `host:port`, lowercased, as the URL writes it.
    pub hosts: Vec<String>,
}

impl Destinations {
    pub fn allow(&mut self, host: impl Into<String>) {
        let h = host.into().to_ascii_lowercase();
        if !self.hosts.contains(&h) {
            self.hosts.push(h);
        }
    }

    fn check(&self, url: &reqwest::Url) -> std::result::Result<(), String> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let key = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        // The URL parser drops a port that is the scheme's default
        // (`https://h:443/` is `https://h/`), while a remote written with it
        // is allowed as `h:443`: both spellings name the same place.
        let default_spelled = url
            .port()
            .is_none()
            .then(|| url.port_or_known_default().map(|p| format!("{host}:{p}")))
            .flatten();
        let allowed = self.hosts.contains(&key) || default_spelled.is_some_and(|k| self.hosts.contains(&k));
        if !allowed {
            return Err(format!("{key} is not the remote's host or its API host"));
        }
        match url.scheme() {
            "https" => Ok(()),
            "http" if is_loopback(&host) => Ok(()),
            "http" => Err(format!(
                "plain HTTP to {host} would expose the token; only loopback may use http"
            )),
            other => Err(format!("unsupported scheme {other}")),
        }
    }
}

pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Network settings as git would use them.
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    /// `http.proxy`; the usual `HTTPS_PROXY`/`NO_PROXY` variables are read by reqwest.
    pub proxy: Option<String>,
    /// `http.sslCAInfo` or `GIT_SSL_CAINFO`.
    pub ca_file: Option<std::path::PathBuf>,
}

/// Sends every request concurrently (one round trip of wall time) and
/// returns their outcomes in order. Nothing outlives `deadline`.
pub fn send_all(
    requests: &[Request],
    secret: &Secret,
    allowed: &Destinations,
    net: &NetConfig,
    deadline: Instant,
) -> (Vec<Outcome>, usize) {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; requests.len()];
    let mut to_send = Vec::new();
    for (i, req) in requests.iter().enumerate() {
        match reqwest::Url::parse(&req.url) {
            Err(e) => outcomes[i] = Some(Err(Failure::NotAllowed(format!("bad URL: {e}")))),
            Ok(url) => match allowed.check(&url) {
                Err(why) => outcomes[i] = Some(Err(Failure::NotAllowed(why))),
                Ok(()) => to_send.push((i, url)),
            },
        }
    }
    let sent = to_send.len();
    if sent > 0 {
        let needs_tls = to_send.iter().any(|(_, u)| u.scheme() == "https");
        let results = match client(net, needs_tls, deadline) {
            Ok(client) => run(&client, requests, &to_send, secret, deadline),
            Err(e) => vec![Err(Failure::Network(format!("{e:#}"))); to_send.len()],
        };
        for ((i, _), outcome) in to_send.iter().zip(results) {
            outcomes[*i] = Some(outcome);
        }
    }
    (
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Err(Failure::Timeout)))
            .collect(),
        sent,
    )
}

fn run(
    client: &reqwest::Client,
    requests: &[Request],
    to_send: &[(usize, reqwest::Url)],
    secret: &Secret,
    deadline: Instant,
) -> Vec<Outcome> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return vec![Err(Failure::Network("cannot start the HTTP runtime".to_owned())); to_send.len()];
    };
    let deadline = tokio::time::Instant::from_std(deadline);
    let outcomes = runtime.block_on(async {
        let mut handles = Vec::new();
        for (i, url) in to_send {
            let req = &requests[*i];
            let headers = match headers_for(req, secret) {
                Ok(h) => h,
                Err(e) => {
                    handles.push(tokio::spawn(async move { Err(Failure::Network(e)) }));
                    continue;
                }
            };
            let fut = client.get(url.clone()).headers(headers).send();
            // `-v`: method, host, path, status and time; never the query's
            // values nor a header.
            let shown = format!("GET {}{}", url.host_str().unwrap_or(""), url.path());
            handles.push(tokio::spawn(async move {
                let started = Instant::now();
                let outcome = match tokio::time::timeout_at(deadline, async {
                    let resp = fut.await.map_err(describe)?;
                    read_capped(resp).await
                })
                .await
                {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Failure::Timeout),
                };
                crate::output::step(|| {
                    let answer = match &outcome {
                        Ok(r) => format!("HTTP {}", r.status),
                        Err(Failure::Timeout) => "no answer in time".to_owned(),
                        Err(_) => "failed".to_owned(),
                    };
                    format!("{shown} -> {answer} in {} ms", started.elapsed().as_millis())
                });
                outcome
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(
                h.await
                    .unwrap_or_else(|_| Err(Failure::Network("request task failed".to_owned()))),
            );
        }
        out
    });
    // Dropping a runtime waits for its blocking tasks, and a DNS lookup
    // (getaddrinfo on a blocking thread) cannot be cancelled: with a stuck
    // resolver the drop held the check long past its deadline. Leave them
    // behind instead; the process is about to answer and exit.
    runtime.shutdown_background();
    outcomes
}

fn headers_for(req: &Request, secret: &Secret) -> std::result::Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    let mut value = match &req.auth {
        Auth::Bearer => HeaderValue::from_str(&format!("Bearer {}", secret.expose())),
        Auth::Basic { username } => HeaderValue::from_str(&format!("Basic {}", basic(username, secret))),
    }
    .map_err(|_| "the secret holds characters that cannot go in an HTTP header".to_owned())?;
    value.set_sensitive(true);
    map.insert(reqwest::header::AUTHORIZATION, value);
    for (k, v) in &req.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            map.insert(*k, v);
        }
    }
    Ok(map)
}

fn basic(username: &str, secret: &Secret) -> String {
    use base64_engine::encode;
    encode(format!("{username}:{}", secret.expose()).as_bytes())
}

/// Standard base64 for the Basic header: ten lines, not a crate.
mod base64_engine {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(input: &[u8]) -> String {
        let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
        for chunk in input.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                if i <= chunk.len() {
                    out.push(TABLE[((n >> shift) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Outcome {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if resp.content_length().is_some_and(|n| n > BODY_CAP as u64) {
        return Err(Failure::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > BODY_CAP {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, headers, body })
}

fn describe(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let e = e.without_url();
    // The innermost cause says what happened (connection refused, a
    // certificate that does not verify); reqwest's outer text does not.
    let mut cause: &dyn std::error::Error = &e;
    let mut tls = None;
    loop {
        tls = tls.or_else(|| tls_error(cause));
        match cause.source() {
            Some(next) => cause = next,
            None => break,
        }
    }
    Failure::Network(match tls {
        // rustls's own words (`invalid peer certificate: UnknownIssuer`)
        // do not say what to do about it.
        Some(rustls::Error::InvalidCertificate(why)) => format!(
            "its TLS certificate does not verify ({why:?}); git refuses it too, unless http.sslCAInfo names the CA that signed it"
        ),
        Some(other) => format!("the TLS handshake failed ({other}); is it an HTTPS server?"),
        None => cause.to_string(),
    })
}

/// rustls errors travel inside an `io::Error`, whose `source()` skips them.
fn tls_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    cause.downcast_ref::<rustls::Error>().or_else(|| {
        cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    })
}

fn client(net: &NetConfig, needs_tls: bool, deadline: Instant) -> Result<reqwest::Client> {
    // ring, not aws-lc: no ~60 ms RNG seeding per process (STYLE.md).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let remaining = deadline.saturating_duration_since(Instant::now());
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("prepush-auth/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(remaining)
        .redirect(same_host_redirects())
        .http1_only();
    if needs_tls {
        builder = builder.use_preconfigured_tls(tls_config(net)?);
    }
    if let Some(proxy) = &net.proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy).context("http.proxy")?);
    }
    builder.build().context("building the HTTP client")
}

/// A redirect may move within the same scheme, host and port (a renamed
/// repository on GitHub answers 301 to its new path), never elsewhere: the
/// token must not follow to another host.
fn same_host_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first();
        let same = first.is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if same && attempt.previous().len() < 3 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn tls_config(net: &NetConfig) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = &net.ca_file {
        let pem = std::fs::read(path).with_context(|| format!("reading CA file {}", path.display()))?;
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem).filter_map(std::result::Result::ok);
        roots.add_parsable_certificates(certs);
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_engine::encode(input.as_bytes()), expected);
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let mut d = Destinations::default();
        d.allow("127.0.0.1:9");
        d.allow("example.com");
        assert!(d.check(&reqwest::Url::parse("http://127.0.0.1:9/x").unwrap()).is_ok());
        assert!(d.check(&reqwest::Url::parse("http://example.com/x").unwrap()).is_err());
        assert!(d.check(&reqwest::Url::parse("https://example.com/x").unwrap()).is_ok());
        assert!(
            d.check(&reqwest::Url::parse("https://evil.example/x").unwrap())
                .is_err()
        );
    }

    /// A resolver as slow as a `getaddrinfo` waiting on an unreachable DNS
    /// server: like hyper's, it blocks a `spawn_blocking` thread.
    struct StuckDns;

    impl reqwest::dns::Resolve for StuckDns {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async {
                let _ = tokio::task::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_secs(5))).await;
                Err("no answer".into())
            })
        }
    }

    /// Regression: dropping the runtime waits for every blocking task, and
    /// a DNS lookup cannot be cancelled, so a slow resolver held the check
    /// past its deadline (the timeout fired, then the drop waited).
    #[test]
    fn bug_a_stuck_dns_lookup_outlived_the_deadline() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(StuckDns))
            .build()
            .unwrap();
        let requests = [Request::get("http://stuck.example/x", Auth::Bearer)];
        let to_send = [(0, reqwest::Url::parse("http://stuck.example/x").unwrap())];
        let started = Instant::now();
        let out = run(
            &client,
            &requests,
            &to_send,
            &Secret::new("t"),
            started + std::time::Duration::from_millis(300),
        );
        assert!(matches!(out.as_slice(), [Err(Failure::Timeout)]));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    /// Regression: `https://host:443/…` is allowed as `host:443`, but the
    /// request URL drops a default port, so the check refused the remote's
    /// own host as "not the remote's host".
    #[test]
    fn bug_an_explicit_default_port_was_not_the_remote_host() {
        let mut d = Destinations::default();
        d.allow("example.com:443");
        d.allow("[::1]:80");
        assert!(
            d.check(&reqwest::Url::parse("https://example.com:443/x").unwrap())
                .is_ok()
        );
        assert!(d.check(&reqwest::Url::parse("https://example.com/x").unwrap()).is_ok());
        assert!(d.check(&reqwest::Url::parse("http://[::1]:80/x").unwrap()).is_ok());
        assert!(
            d.check(&reqwest::Url::parse("https://example.com:8443/x").unwrap())
                .is_err()
        );
        assert!(
            d.check(&reqwest::Url::parse("http://example.com:443/x").unwrap())
                .is_err()
        );
        let mut d = Destinations::default();
        d.allow("example.com");
        assert!(
            d.check(&reqwest::Url::parse("https://example.com:443/x").unwrap())
                .is_ok()
        );
        assert!(
            d.check(&reqwest::Url::parse("https://example.com:444/x").unwrap())
                .is_err()
        );
    }

    #[test]
    fn loopback_forms() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.8.9.1"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
