//! An emulated GitHub (Enterprise Server layout) answering as PROVIDERS.md says.

use super::*;

pub const REPO_PATH: &str = "/acme/widgets.git";

/// What the emulated GitHub knows about one token.
#[derive(Clone)]
pub struct Tok {
    pub secret: String,
    pub login: &'static str,
    /// `X-OAuth-Scopes`, for classic and OAuth tokens only.
    pub scopes: Option<&'static str>,
    pub expiration: Option<String>,
    /// Fine-grained: does the probe get write?
    pub contents_write: bool,
    /// From this moment on the host refuses it, as GitHub refuses a token
    /// past its expiry.
    pub dies_at: Option<std::time::SystemTime>,
}

pub fn tok(secret: &str, scopes: Option<&'static str>) -> Tok {
    Tok {
        secret: secret.to_owned(),
        login: "alice",
        scopes,
        expiration: None,
        contents_write: true,
        dies_at: None,
    }
}

pub const REPO_JSON: &str = r#"{"id":1,"name":"widgets","full_name":"acme/widgets","private":true,"archived":false,"permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}"#;

/// An emulated GitHub Enterprise Server: API under `/api/v3`, git under `/`.
pub fn github(tokens: Vec<Tok>, repo_json: &'static str) -> FakeHost {
    github_with(tokens, repo_json, None)
}

/// The same, with git's own `git http-backend` behind it for real pushes.
pub fn github_with(tokens: Vec<Tok>, repo_json: &'static str, backend: Option<GitBackend>) -> FakeHost {
    let has_backend = backend.is_some();
    let mut builder = github_builder(Arc::new(Mutex::new(tokens)), repo_json, has_backend);
    if let Some(b) = backend {
        builder = builder.git(b);
    }
    builder.start()
}

/// The emulated GitHub's routes over tokens a test may change while it
/// runs (a scope added on the token's page keeps the token): the caller
/// adds its git backend (`has_backend`) and any routes of its own.
pub fn github_builder(tokens: Arc<Mutex<Vec<Tok>>>, repo_json: &'static str, has_backend: bool) -> HostBuilder {
    github_routes(FakeHost::builder(), tokens, repo_json, has_backend)
}

/// [`github_builder`] after the routes `builder` has already (they answer
/// first: an organization's SSO enforcement, say).
pub fn github_routes(
    builder: HostBuilder,
    tokens: Arc<Mutex<Vec<Tok>>>,
    repo_json: &'static str,
    has_backend: bool,
) -> HostBuilder {
    builder.route_fn(move |r| {
        let bearer = r
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .map(str::to_owned);
        let basic = basic_credentials(r).map(|(_, p)| p);
        let presented = bearer.or(basic);
        let alive = |t: &&Tok| t.dies_at.is_none_or(|d| std::time::SystemTime::now() < d);
        let tokens = tokens.lock().unwrap().clone();
        let known = tokens
            .iter()
            .filter(alive)
            .find(|t| Some(&t.secret) == presented.as_ref());
        if r.path.contains("/info/refs?service=git-receive-pack") {
            // GitHub refuses the receive-pack advertisement to a credential
            // that may not push (recorded answers, tests/fixtures/github).
            let repo: serde_json::Value = serde_json::from_str(repo_json).unwrap_or_default();
            let installation = known.is_some_and(|t| t.secret.starts_with("ghs_"));
            return Some(match known {
                // As github.com: git sends a credential only to a server that asks for Basic.
                None => fixture("github/probe-bad-credentials.http"),
                Some(t) if !t.contents_write => fixture("github/probe-write-not-granted.http"),
                Some(_) if repo["archived"] == true => fixture("github/probe-archived.http"),
                Some(_) if repo["permissions"]["push"] == false && !installation => {
                    fixture("github/probe-permission-denied.http")
                }
                // A classic or OAuth token without `repo` (or `public_repo`
                // on a public repository) may push nowhere (PROVIDERS.md).
                Some(t)
                    if t.scopes.is_some_and(|s| {
                        let has = |want: &str| s.split(", ").any(|x| x == want);
                        let public = repo["private"] == false;
                        !(has("repo") || (public && has("public_repo")))
                    }) =>
                {
                    fixture("github/probe-permission-denied.http")
                }
                Some(_) if has_backend => return None,
                Some(_) => advertisement(),
            });
        }
        if !r.path.starts_with("/api/v3/") {
            return None;
        }
        let Some(t) = known else {
            return Some(Reply::json(
                401,
                r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#,
            ));
        };
        let mut reply = if r.path == "/api/v3/user" {
            Reply::json(200, &format!(r#"{{"login":"{}","id":7,"type":"User"}}"#, t.login))
        } else if r.path == "/api/v3/repos/acme/widgets" {
            Reply::json(200, repo_json)
        } else {
            Reply::json(
                404,
                r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
            )
        };
        if let Some(s) = t.scopes {
            reply = reply
                .header("X-OAuth-Scopes", s)
                .header("X-Accepted-OAuth-Scopes", "repo");
        }
        if let Some(e) = &t.expiration {
            reply = reply.header("GitHub-Authentication-Token-Expiration", e);
        }
        Some(reply.header("X-RateLimit-Remaining", "4999"))
    })
}

/// A GitHub whose REST answers are recorded ones (`tests/fixtures/github`),
/// served for `token` only (anything else gets the recorded 401), with git's
/// own http-backend behind it accepting `token` for any username.
pub fn github_recorded(token: &str, repo: Reply, user: Option<Reply>, backend: Option<GitBackend>) -> FakeHost {
    let token = token.to_owned();
    let mut builder = FakeHost::builder();
    if let Some(b) = backend {
        builder = builder.git(b);
    }
    builder
        .route_fn(move |r| {
            if !r.path.starts_with("/api/v3/") {
                return None;
            }
            let bearer = r.header("authorization").and_then(|a| a.strip_prefix("Bearer "));
            if bearer != Some(token.as_str()) {
                return Some(fixture("github/bad-credentials.http"));
            }
            Some(match (r.path.as_str(), &user) {
                ("/api/v3/repos/acme/widgets", _) => repo.clone(),
                ("/api/v3/user", Some(u)) => u.clone(),
                _ => fixture("github/not-found.http"),
            })
        })
        .start()
}
