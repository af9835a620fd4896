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
//!
//! Redirects are never followed: a 3xx answer is an error naming its status
//! and `Location` (redacted), so a bundle can only ever go to the URL the
//! owner chose, never re-posted to another host or over plain HTTP. Every
//! answer is read up to [`MAX_RESPONSE_BYTES`]; a longer one is an error.
//! URLs in errors are redacted with [`redact_url`] (no userinfo, no
//! token-like query parameters).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod jwt;

pub use jwt::{es384_jwk, generate_es384_key, private_key_pem, read_private_key};

use phr_fhir::{Bundle, Resource};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{redirect, StatusCode, Url};
use serde::Deserialize;
use std::io::Read;
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
    /// The server answered with a redirect, which is never followed.
    #[error("the FHIR server answered {status} redirecting to {location}; redirects are not followed, so nothing was sent there (give the final https:// URL instead)")]
    Redirect {
        /// HTTP status (3xx).
        status: u16,
        /// The `Location` header, redacted ([`redact_url`]).
        location: String,
    },
    /// The answer was longer than [`MAX_RESPONSE_BYTES`].
    #[error("the FHIR server's answer is longer than {limit} bytes, the most this client reads")]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// The most bytes of one answer (a transaction response, a search result,
/// a token or discovery document) the client reads: 8 MiB. Our transaction
/// responses and searches are far smaller; a longer answer is refused with
/// [`ClientError::ResponseTooLarge`] instead of being held in memory.
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// Query (and fragment) parameters whose value is hidden by [`redact_url`],
/// compared case-insensitively; any name containing `token`, `secret` or
/// `password` is hidden too.
const SECRET_PARAMETERS: [&str; 9] = [
    "token",
    "access_token",
    "api_key",
    "key",
    "secret",
    "password",
    "auth",
    "sig",
    "signature",
];

/// Decodes `%XX` escapes, for comparing parameter names.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_secret_parameter(name: &str) -> bool {
    let name = percent_decoded(name).to_ascii_lowercase();
    SECRET_PARAMETERS.contains(&name.as_str())
        || ["token", "secret", "password"]
            .iter()
            .any(|part| name.contains(part))
}

/// `a=1&token=x` with the values of secret parameters replaced by `***`.
fn redact_parameters(text: &str) -> String {
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_parameter(name) => format!("{name}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A URL as it may be shown or stored: userinfo becomes `***`
/// (`https://user:pass@host/` → `https://***@host/`) and the values of
/// token-like query or fragment parameters (`token`, `access_token`,
/// `api_key`, `key`, `secret`, `password`, `auth`, `sig`, `signature`, any
/// case, and any name containing `token`, `secret` or `password`) become
/// `***`. Everything else is kept as written; redacting twice changes
/// nothing.
pub fn redact_url(url: &str) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let (head, query) = match rest.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (rest, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, after)) => {
            let authority = after.find('/').map_or(after, |end| &after[..end]);
            match authority.rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &after[at + 1..]),
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    for (mark, part) in [('?', query), ('#', fragment)] {
        if let Some(part) = part {
            out.push(mark);
            out.push_str(&redact_parameters(part));
        }
    }
    out
}

/// `text` with every URL in it (`scheme://` up to white space or a quote)
/// redacted by [`redact_url`]; punctuation ending a sentence stays outside.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(marker) = rest.find("://") {
        let start = rest[..marker]
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || "+-.".contains(c))
            .len();
        // `://` holds no white space, so `end` is past it: the loop moves on.
        let end = rest[marker..]
            .find(|c: char| c.is_whitespace() || "\"'<>`".contains(c))
            .map_or(rest.len(), |i| marker + i);
        let candidate = &rest[start..end];
        let url = candidate.trim_end_matches([':', ',', ';', '.', ')', ']']);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(url));
        out.push_str(&candidate[url.len()..]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A transport error's message with its URL redacted.
fn transport_message(err: reqwest::Error) -> String {
    let url = err.url().map(|url| redact_url(url.as_str()));
    let err = err.without_url();
    match url {
        Some(url) => format!("{err} for url ({url})"),
        None => err.to_string(),
    }
}

/// A 3xx answer as an error: redirects are never followed.
fn refuse_redirect(response: &Response) -> Result<(), ClientError> {
    let status = response.status();
    if !status.is_redirection() {
        return Ok(());
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| redact_url(&String::from_utf8_lossy(v.as_bytes())))
        .unwrap_or_else(|| "nowhere (no Location header)".into());
    Err(ClientError::Redirect {
        status: status.as_u16(),
        location,
    })
}

/// The body of a successful answer in the SMART exchange (discovery, token),
/// `what` naming the step in errors.
fn auth_answer(request: RequestBuilder, what: &str) -> Result<String, ClientError> {
    let response = request
        .send()
        .map_err(|e| ClientError::Auth(format!("{what}: {}", transport_message(e))))?;
    refuse_redirect(&response)?;
    let status = response.status();
    let body = read_body(response)?;
    if !status.is_success() {
        return Err(ClientError::Auth(format!(
            "{what} answered {status}: {}",
            error_message(&body)
        )));
    }
    Ok(body)
}

/// Reads an answer's body as text, at most [`MAX_RESPONSE_BYTES`].
fn read_body(response: Response) -> Result<String, ClientError> {
    let too_large = ClientError::ResponseTooLarge {
        limit: MAX_RESPONSE_BYTES,
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES)
    {
        return Err(too_large);
    }
    let mut bytes = Vec::new();
    response
        .take(MAX_RESPONSE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            ClientError::Network(format!(
                "reading the answer: {}",
                redact_urls(&e.to_string())
            ))
        })?;
    if bytes.len() as u64 > MAX_RESPONSE_BYTES {
        return Err(too_large);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether `url` may carry health data or credentials: https, or http to
/// this machine.
fn check_secure(url: &Url) -> Result<(), ClientError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ClientError::InsecureUrl(
            url.host_str().unwrap_or_default().to_string(),
        )),
        other => Err(ClientError::BadUrl(format!(
            "unsupported scheme {other}: use https://"
        ))),
    }
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

/// A FHIR server's base URL as a client uses it (with a trailing slash),
/// or why it cannot be one: not a URL, plain `http://` to another machine
/// (see [`FhirClient::new`]), or credentials in it. Checking it needs no
/// network, so a dry run can refuse what a share would.
pub fn check_base_url(base_url: &str) -> Result<Url, ClientError> {
    let mut base = Url::parse(base_url).map_err(|e| {
        ClientError::BadUrl(format!("{:?} is not a URL: {e}", redact_url(base_url)))
    })?;
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    check_secure(&base)?;
    check_no_credentials(&base)?;
    Ok(base)
}

/// Refuses a base URL that carries credentials: a user name or password
/// (which an HTTP client would send as Basic authentication, and which the
/// share record, saved recipients and the screen would otherwise hold) or
/// a token-like query or fragment parameter (see [`redact_url`]). Tokens
/// belong in [`Auth`], kept in the vault and sent in a header.
fn check_no_credentials(base: &Url) -> Result<(), ClientError> {
    let shown = redact_url(base.as_str());
    if !base.username().is_empty() || base.password().is_some() {
        return Err(ClientError::BadUrl(format!(
            "{shown} holds a user name or password; credentials are never put in a server's URL: \
             give a token with --auth bearer (or use smart-backend)"
        )));
    }
    if shown != base.as_str() {
        return Err(ClientError::BadUrl(format!(
            "{shown} holds a token in its query; credentials are never put in a server's URL: \
             give the token with --auth bearer (or use smart-backend)"
        )));
    }
    Ok(())
}

impl FhirClient {
    /// A client for `base_url`. Plain `http://` is accepted only for
    /// loopback hosts, and so is [`Auth::None`].
    pub fn new(base_url: &str, auth: Auth, retry: RetryPolicy) -> Result<Self, ClientError> {
        let base = check_base_url(base_url)?;
        if matches!(auth, Auth::None) && !is_loopback(&base) {
            return Err(ClientError::Auth(
                "a server other than this machine needs authentication (--auth bearer or smart-backend)".into(),
            ));
        }
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("phr-companion/", env!("CARGO_PKG_VERSION")))
            // Never follow a redirect: a 3xx is reported (`refuse_redirect`).
            .redirect(redirect::Policy::none())
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
        let shown = format!("reading {}", redact_url(discovery.as_str()));
        let body = auth_answer(
            self.http
                .get(discovery)
                .header("Accept", "application/json"),
            &shown,
        )?;
        let config: SmartConfiguration =
            serde_json::from_str(&body).map_err(|e| ClientError::Auth(format!("{shown}: {e}")))?;
        let endpoint = Url::parse(&config.token_endpoint).map_err(|e| {
            ClientError::Auth(format!(
                "token endpoint {:?} is not a URL: {e}",
                redact_url(&config.token_endpoint)
            ))
        })?;
        check_secure(&endpoint)?;
        let shown = format!("token endpoint {}", redact_url(endpoint.as_str()));
        let assertion = jwt::client_assertion(&client_id, &config.token_endpoint, &key_pkcs8)
            .map_err(ClientError::Auth)?;
        let request = self.http.post(endpoint).form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ]);
        let body = auth_answer(request, &shown)?;
        let token: TokenResponse = serde_json::from_str(&body)
            .map_err(|e| ClientError::Auth(format!("token response is not JSON: {e}")))?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300));
        let access = Zeroizing::new(token.access_token);
        self.token = Some((access.clone(), Instant::now() + lifetime));
        Ok(access)
    }

    /// Sends a request built by `build`, with auth, retries and one token
    /// renewal on 401. Returns the status and body of the final answer; a
    /// redirect or an answer over [`MAX_RESPONSE_BYTES`] is an error.
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
                Err(err) => return Err(ClientError::Network(transport_message(err))),
                Ok(response) => {
                    refuse_redirect(&response)?;
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match read_body(response) {
                        // Cut off while reading: retried like a network error.
                        Err(ClientError::Network(_)) if !last => {}
                        Err(err) => return Err(err),
                        Ok(body) => {
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

    /// Red-team finding: credentials in a URL were sent as Basic
    /// authentication and kept in the saved recipients the app lists.
    #[test]
    fn credentials_in_the_url_are_refused_without_being_echoed() {
        let bearer = || Auth::Bearer(Zeroizing::new("t".into()));
        for url in [
            "https://user:hunter2@ehr.example/fhir",
            "https://hunter2@ehr.example/fhir",
            "https://ehr.example/fhir?access_token=hunter2",
            "https://ehr.example/fhir?_format=json&api_key=hunter2",
        ] {
            let Err(err) = client(url, bearer()) else {
                panic!("{url} accepted");
            };
            let message = err.to_string();
            assert!(matches!(err, ClientError::BadUrl(_)), "{url}: {message}");
            assert!(
                message.contains("--auth bearer") && !message.contains("hunter2"),
                "{message}"
            );
        }
        assert!(client("https://ehr.example/fhir?_format=json", bearer()).is_ok());
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

    /// A one-request HTTP server on loopback answering `head` (status line
    /// and headers) and `body_len` bytes of `x`; yields what it was sent.
    fn answer_once(head: String, body_len: usize) -> (u16, std::thread::JoinHandle<String>) {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let request = read_request(&mut stream);
            let _ = stream.write_all(head.as_bytes());
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = body_len;
            while left > 0 {
                let n = left.min(chunk.len());
                if stream.write_all(&chunk[..n]).is_err() {
                    break;
                }
                left -= n;
            }
            request
        });
        (port, server)
    }

    /// Reads one request's head and its `Content-Length` body.
    fn read_request(stream: &mut std::net::TcpStream) -> String {
        let mut bytes = Vec::new();
        let mut byte = [0u8; 1];
        while !bytes.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            bytes.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&bytes).to_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        let _ = stream.read_exact(&mut body);
        bytes.extend(body);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn one_entry_bundle() -> Bundle {
        serde_json::from_str(r#"{"resourceType":"Bundle","type":"transaction","entry":[]}"#)
            .expect("bundle")
    }

    #[test]
    fn a_redirect_is_an_error_and_nothing_is_sent_where_it_points() {
        let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        elsewhere.set_nonblocking(true).expect("nonblocking");
        let target = format!(
            "http://user:pw@127.0.0.1:{}/fhir?access_token=leak",
            elsewhere.local_addr().expect("addr").port()
        );
        for status in [
            "307 Temporary Redirect",
            "308 Permanent Redirect",
            "302 Found",
        ] {
            let (port, server) = answer_once(
                format!("HTTP/1.1 {status}\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                0,
            );
            let mut c = FhirClient::new(
                &format!("http://127.0.0.1:{port}/fhir"),
                Auth::Bearer(Zeroizing::new("t".into())),
                RetryPolicy::default(),
            )
            .expect("client");
            let err = c.send_transaction(&one_entry_bundle()).unwrap_err();
            let request = server.join().expect("server");
            assert!(request.starts_with("POST /fhir/ "), "{request}");
            let code: u16 = status[..3].parse().expect("status");
            assert!(
                matches!(&err, ClientError::Redirect { status, .. } if *status == code),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(message.contains(&status[..3]), "{message}");
            assert!(message.contains("***@127.0.0.1:"), "{message}");
            assert!(message.contains("access_token=***"), "{message}");
            assert!(
                !message.contains("leak") && !message.contains("pw"),
                "{message}"
            );
            assert!(
                elsewhere.accept().is_err(),
                "the bundle was re-sent to the redirect target"
            );
        }
    }

    #[test]
    fn an_answer_over_the_limit_is_refused() {
        let too_long = MAX_RESPONSE_BYTES as usize + 1;
        // Announced by its length, and streamed without one.
        for head in [
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {too_long}\r\nConnection: close\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n\r\n".to_string(),
        ] {
            let (port, server) = answer_once(head, too_long);
            let mut c = FhirClient::new(
                &format!("http://127.0.0.1:{port}/"),
                Auth::None,
                RetryPolicy::default(),
            )
            .expect("client");
            let err = c.search("Patient").unwrap_err();
            assert!(
                matches!(err, ClientError::ResponseTooLarge { limit } if limit == MAX_RESPONSE_BYTES),
                "{err:?}"
            );
            assert!(err.to_string().contains("longer than 8388608 bytes"), "{err}");
            server.join().expect("server");
        }
    }

    #[test]
    fn urls_lose_userinfo_and_token_like_parameters() {
        assert_eq!(
            redact_url("https://user:pass@ehr.example/fhir"),
            "https://***@ehr.example/fhir"
        );
        assert_eq!(
            redact_url(
                "https://ehr.example/fhir/?a=1&Access_Token=s3&KEY=k&sig=x&client_secret=y&b"
            ),
            "https://ehr.example/fhir/?a=1&Access_Token=***&KEY=***&sig=***&client_secret=***&b"
        );
        assert_eq!(
            redact_url("https://u@h/p?x=1#access_token=t"),
            "https://***@h/p?x=1#access_token=***"
        );
        assert_eq!(redact_url("https://h/p@q"), "https://h/p@q");
        for name in SECRET_PARAMETERS {
            let url = format!("http://127.0.0.1/?{name}=v");
            assert_eq!(redact_url(&url), format!("http://127.0.0.1/?{name}=***"));
        }
        let once = redact_url("https://a:b@h/?token=t");
        assert_eq!(redact_url(&once), once);
        assert_eq!(
            redact_urls(
                "share 1 to https://a:b@h/f/?token=t: failed (for url (http://u:p@h/)), file:x"
            ),
            "share 1 to https://***@h/f/?token=***: failed (for url (http://***@h/)), file:x"
        );
        assert_eq!(redact_urls("no url :// here"), "no url :// here");
    }
}
