//! Sends FHIR R4 bundles to an electronic health record over HTTP(S).
//!
//! Key design choices: a small blocking client (the callers are a CLI and a
//! desktop app's worker thread, and one share is a handful of requests);
//! TLS is required except to loopback; transient failures (network errors,
//! 429 and 5xx) are retried with exponential backoff, honouring
//! `Retry-After`, which is safe because every entry is a conditional create;
//! a server's `OperationOutcome` becomes a readable error. Authentication is
//! none, a bearer token, or SMART Backend Services (a `client_credentials`
//! grant with a JWT client assertion signed ES384 with `ring`, token endpoint
//! discovered from `.well-known/smart-configuration`), and an expired token
//! is renewed once on a 401.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod jwt;

pub use jwt::{es384_jwk, generate_es384_key, private_key_pem, read_private_key};

use phr_fhir::{Bundle, Resource};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// No authentication (accepted for loopback servers only).
    None,
    /// A fixed bearer token.
    Bearer(Zeroizing<String>),
    /// SMART Backend Services: a registered client with an EC P-384 key.
    SmartBackend {
        /// The client id registered with the EHR.
        client_id: String,
        /// The client's private key, PKCS#8 DER.
        key_pkcs8: Zeroizing<Vec<u8>>,
        /// Requested scopes.
        scope: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(..)",
            Auth::SmartBackend { .. } => "Auth::SmartBackend(..)",
        })
    }
}

/// What can go wrong talking to a FHIR server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not usable.
    #[error("{0}")]
    BadUrl(String),
    /// Plain HTTP to a host that is not this machine.
    #[error("refusing to send health data over plain HTTP to {0}; use https:// (plain http is allowed only to this machine)")]
    InsecureUrl(String),
    /// The server answered with an error.
    #[error("the FHIR server answered {status}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The OperationOutcome's issues, or the body's start.
        message: String,
    },
    /// No answer (after retries).
    #[error("could not reach the FHIR server: {0}")]
    Network(String),
    /// Getting an access token failed.
    #[error("authorisation failed: {0}")]
    Auth(String),
    /// The server's answer was not what FHIR promises.
    #[error("unexpected answer from the FHIR server: {0}")]
    BadResponse(String),
}

/// How many times, and how patiently, to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the first retry; doubled each time.
    pub first_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

/// The result of one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionOutcome {
    /// Entries the server created (`201`).
    pub created: usize,
    /// Entries that already existed (`200`, conditional create matched).
    pub existing: usize,
    /// Attempts it took.
    pub attempts: u32,
}

/// A client for one FHIR base URL.
pub struct FhirClient {
    base: Url,
    auth: Auth,
    http: Client,
    retry: RetryPolicy,
    token: Option<(Zeroizing<String>, Instant)>,
}

#[derive(Deserialize)]
struct SmartConfiguration {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

/// Whether the URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Reads a server's error body as one line: the OperationOutcome's issues
/// when it is one, else the start of the text.
fn error_message(body: &str) -> String {
    match serde_json::from_str::<Resource>(body) {
        Ok(Resource::OperationOutcome(outcome)) => outcome.describe(),
        _ => {
            let text: String = body.chars().take(200).collect();
            if text.trim().is_empty() {
                "no details".into()
            } else {
                text.trim().to_string()
            }
        }
    }
}

impl FhirClient {
    /// A client for `base_url`. Plain `http://` is accepted only for
    /// loopback hosts, and so is [`Auth::None`].
    pub fn new(base_url: &str, auth: Auth, retry: RetryPolicy) -> Result<Self, ClientError> {
        let mut base = Url::parse(base_url)
            .map_err(|e| ClientError::BadUrl(format!("{base_url:?} is not a URL: {e}")))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(ClientError::InsecureUrl(
                    base.host_str().unwrap_or_default().to_string(),
                ))
            }
            other => {
                return Err(ClientError::BadUrl(format!(
                    "unsupported scheme {other}: use https://"
                )))
            }
        }
        if matches!(auth, Auth::None) && !is_loopback(&base) {
            return Err(ClientError::Auth(
                "a server other than this machine needs authentication (--auth bearer or smart-backend)".into(),
            ));
        }
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("phr-companion/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(FhirClient {
            base,
            auth,
            http,
            retry,
            token: None,
        })
    }

    /// The base URL (with a trailing slash).
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, relative: &str) -> Result<Url, ClientError> {
        self.base
            .join(relative)
            .map_err(|e| ClientError::BadUrl(e.to_string()))
    }

    /// A bearer token for the next request, fetching one if needed.
    fn bearer(&mut self) -> Result<Option<Zeroizing<String>>, ClientError> {
        match &self.auth {
            Auth::None => Ok(None),
            Auth::Bearer(token) => Ok(Some(token.clone())),
            Auth::SmartBackend { .. } => {
                if let Some((token, expires)) = &self.token {
                    if Instant::now() + Duration::from_secs(30) < *expires {
                        return Ok(Some(token.clone()));
                    }
                }
                let token = self.fetch_token()?;
                Ok(Some(token))
            }
        }
    }

    fn fetch_token(&mut self) -> Result<Zeroizing<String>, ClientError> {
        let Auth::SmartBackend {
            client_id,
            key_pkcs8,
            scope,
        } = self.auth.clone()
        else {
            return Err(ClientError::Auth("no SMART client configured".into()));
        };
        let discovery = self.url(".well-known/smart-configuration")?;
        let config: SmartConfiguration = self
            .http
            .get(discovery.clone())
            .header("Accept", "application/json")
            .send()
            .and_then(Response::error_for_status)
            .and_then(Response::json)
            .map_err(|e| ClientError::Auth(format!("reading {discovery}: {e}")))?;
        let assertion = jwt::client_assertion(&client_id, &config.token_endpoint, &key_pkcs8)
            .map_err(ClientError::Auth)?;
        let response = self
            .http
            .post(&config.token_endpoint)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ])
            .send()
            .map_err(|e| {
                ClientError::Auth(format!("token endpoint {}: {e}", config.token_endpoint))
            })?;
        let status = response.status();
        let body = response.text().unwrap_or_default();
        if !status.is_success() {
            return Err(ClientError::Auth(format!(
                "token endpoint answered {status}: {}",
                error_message(&body)
            )));
        }
        let token: TokenResponse = serde_json::from_str(&body)
            .map_err(|e| ClientError::Auth(format!("token response is not JSON: {e}")))?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300));
        let access = Zeroizing::new(token.access_token);
        self.token = Some((access.clone(), Instant::now() + lifetime));
        Ok(access)
    }

    /// Sends a request built by `build`, with auth, retries and one token
    /// renewal on 401. Returns the status and body of the final answer.
    fn execute(
        &mut self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<(StatusCode, String, u32), ClientError> {
        let mut backoff = self.retry.first_backoff;
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = build(&self.http).header("Accept", "application/fhir+json");
            if let Some(token) = self.bearer()? {
                request = request.bearer_auth(token.as_str());
            }
            let last = attempt >= self.retry.attempts.max(1);
            match request.send() {
                // A network error: retried below unless this was the last try.
                Err(_) if !last => {}
                Err(err) => return Err(ClientError::Network(err.to_string())),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = response.text().unwrap_or_default();
                    if status == StatusCode::UNAUTHORIZED
                        && matches!(self.auth, Auth::SmartBackend { .. })
                        && !renewed
                    {
                        // The token may have expired early: renew once.
                        renewed = true;
                        self.token = None;
                        attempt -= 1;
                        continue;
                    }
                    let transient =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !transient || last {
                        return Ok((status, body, attempt));
                    }
                    if let Some(wait) = retry_after {
                        backoff = wait.min(self.retry.max_backoff);
                    }
                }
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(self.retry.max_backoff);
        }
    }

    /// Posts a transaction bundle and counts created and existing entries.
    pub fn send_transaction(&mut self, bundle: &Bundle) -> Result<TransactionOutcome, ClientError> {
        let body =
            serde_json::to_vec(bundle).map_err(|e| ClientError::BadResponse(e.to_string()))?;
        let url = self.base.clone();
        let (status, text, attempts) = self.execute(|http| {
            http.post(url.clone())
                .header("Content-Type", "application/fhir+json")
                .body(body.clone())
        })?;
        if !status.is_success() {
            return Err(ClientError::Http {
                status: status.as_u16(),
                message: error_message(&text),
            });
        }
        let response: Resource = serde_json::from_str(&text).map_err(|e| {
            ClientError::BadResponse(format!("transaction response is not a Bundle: {e}"))
        })?;
        let Resource::Bundle(response) = response else {
            return Err(ClientError::BadResponse(
                "transaction response is not a Bundle".into(),
            ));
        };
        let mut outcome = TransactionOutcome {
            attempts,
            ..TransactionOutcome::default()
        };
        for entry in response.entry {
            let status = entry.response.map(|r| r.status).unwrap_or_default();
            match status.split_whitespace().next() {
                Some("201") => outcome.created += 1,
                Some("200") => outcome.existing += 1,
                _ => {
                    return Err(ClientError::BadResponse(format!(
                        "an entry answered {status:?}"
                    )));
                }
            }
        }
        Ok(outcome)
    }

    /// Runs a search (`Observation?code=...`) and returns the result bundle.
    pub fn search(&mut self, query: &str) -> Result<Bundle, ClientError> {
        let url = self.url(query)?;
        let (status, text, _) = self.execute(|http| http.get(url.clone()))?;
        if !status.is_success() {
            return Err(ClientError::Http {
                status: status.as_u16(),
                message: error_message(&text),
            });
        }
        match serde_json::from_str::<Resource>(&text) {
            Ok(Resource::Bundle(bundle)) => Ok(*bundle),
            _ => Err(ClientError::BadResponse(
                "search result is not a Bundle".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(url: &str, auth: Auth) -> Result<FhirClient, ClientError> {
        FhirClient::new(url, auth, RetryPolicy::default())
    }

    #[test]
    fn plain_http_is_refused_except_to_this_machine() {
        let bearer = || Auth::Bearer(Zeroizing::new("t".into()));
        for ok in [
            "http://127.0.0.1:8080/fhir",
            "http://localhost/fhir",
            "http://[::1]:9/",
            "https://ehr.example/fhir",
        ] {
            assert!(client(ok, bearer()).is_ok(), "{ok}");
        }
        assert!(matches!(
            client("http://ehr.example/fhir", bearer()),
            Err(ClientError::InsecureUrl(_))
        ));
        assert!(matches!(
            client("http://10.0.0.5/fhir", bearer()),
            Err(ClientError::InsecureUrl(_))
        ));
        assert!(matches!(
            client("ftp://ehr.example/", bearer()),
            Err(ClientError::BadUrl(_))
        ));
        assert!(matches!(
            client("not a url", bearer()),
            Err(ClientError::BadUrl(_))
        ));
        // No authentication is only for a server on this machine.
        assert!(client("http://127.0.0.1/fhir", Auth::None).is_ok());
        assert!(matches!(
            client("https://ehr.example/fhir", Auth::None),
            Err(ClientError::Auth(_))
        ));
    }

    #[test]
    fn the_base_gets_a_trailing_slash_so_relative_paths_join_under_it() {
        let c = client("http://127.0.0.1:1/fhir/r4", Auth::None).expect("client");
        assert_eq!(c.base().as_str(), "http://127.0.0.1:1/fhir/r4/");
        assert_eq!(
            c.url("Observation?code=x").expect("join").as_str(),
            "http://127.0.0.1:1/fhir/r4/Observation?code=x"
        );
    }

    #[test]
    fn operation_outcomes_become_one_readable_line() {
        let body = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Observation.status is required"}]}"#;
        let message = error_message(body);
        assert!(
            message.contains("Observation.status is required"),
            "{message}"
        );
        assert_eq!(error_message("  "), "no details");
        assert_eq!(
            error_message("<html>Bad gateway</html>"),
            "<html>Bad gateway</html>"
        );
    }

    #[test]
    fn an_unreachable_server_is_a_network_error_after_retries() {
        let quick = RetryPolicy {
            attempts: 2,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
        };
        // Port 9 (discard) is closed on loopback here.
        let mut c = FhirClient::new("http://127.0.0.1:9/", Auth::None, quick).expect("client");
        assert!(matches!(c.search("Patient"), Err(ClientError::Network(_))));
    }
}
