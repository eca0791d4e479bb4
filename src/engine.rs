//! The one engine behind `check`, `pre-push` and `credential`:
//! push target -> credential -> offline rules -> host's answer -> verdict.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::output;

use crate::config::Config;
use crate::credential::{self, Credential, Lookup, Source};
use crate::http::{self, Destinations, Failure, NetConfig, Response};
use crate::providers::{self, Answers, Context, Provider, Purpose};
use crate::secret::Secret;
use crate::state::{CachedAnswer, CachedVerdict, Remembered, State};
use crate::target::{PushTarget, Transport};
use crate::tokens::TokenKind;
use crate::verdict::{Finding, Kind, Reason, TokenInfo};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `prepush-auth check`.
    Check,
    /// Inside the pre-push hook: git has just authenticated with this
    /// credential, so a remembered rejection of it is stale.
    PrePush,
    /// `credential erase`: git has just been refused with this credential,
    /// so a remembered approval of it is stale.
    Rejected,
    /// `credential get` as the gate.
    Gate,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub timeout: Duration,
    pub use_cache: bool,
    pub offline: bool,
    pub mode: Mode,
}

/// The credential as output may show it.
#[derive(Clone, Debug)]
pub struct CredentialView {
    pub username: Option<String>,
    pub secret: String,
    pub kind: TokenKind,
    /// Where it lives: the helper, by id and name, and its variable.
    pub place: crate::helpers::Place,
}

/// One checked push target: everything output needs, and nothing secret.
#[derive(Clone, Debug)]
pub struct Check {
    pub remote: Option<String>,
    pub url: String,
    pub host: Option<String>,
    pub provider: Option<Provider>,
    pub repository: Option<String>,
    pub finding: Finding,
    pub credential: Option<CredentialView>,
    pub requests: usize,
    pub cached: bool,
    /// When the cached verdict was made (human output says how long ago).
    pub cached_at: Option<DateTime<Utc>>,
    pub elapsed_ms: u64,
    /// The keyed hash that names the token in the state (never the token).
    pub token_key: Option<String>,
    /// SSH remotes: the key ssh offered, its fingerprint, the account.
    pub ssh: Option<crate::ssh::SshView>,
}

impl Check {
    pub fn kind(&self) -> Kind {
        self.finding.kind()
    }
}

pub struct Engine {
    pub config: Config,
    pub net: NetConfig,
    state: StateSlot,
}

/// The state is opened on first use; a broken state directory costs the
/// cache, never the check.
enum StateSlot {
    NotOpened,
    Open(Box<State>),
    Unavailable,
}

impl Engine {
    pub fn new(config: Config, net: NetConfig) -> Self {
        Self {
            config,
            net,
            state: StateSlot::NotOpened,
        }
    }

    fn state(&mut self) -> Option<&mut State> {
        if matches!(self.state, StateSlot::NotOpened) {
            self.state = State::open().map_or(StateSlot::Unavailable, |s| StateSlot::Open(Box::new(s)));
        }
        match &mut self.state {
            StateSlot::Open(s) => Some(s),
            _ => None,
        }
    }

    /// One check, in the steps of the data flow (STYLE.md): the push
    /// target, the credential, the offline rules, the host's answer (from
    /// the cache or asked now), and the verdict settled by the order of
    /// evidence and remembered. Each step either hands the next what it
    /// needs or ends the check with a finding.
    pub fn check(&mut self, target: &PushTarget, supplied: Option<Credential>, opts: &Options) -> Check {
        let mut check = self.check_steps(target, supplied, opts);
        let f = &mut check.finding;
        // A fix is typed as printed: the remote by its name, where it has one.
        name_remote(&mut f.fix, target.remote.as_deref());
        // A timeout names the limit and the setting that moves it.
        if f.reason == Reason::Timeout && !f.message.contains(" ms") {
            let _ = std::fmt::Write::write_fmt(
                &mut f.message,
                format_args!(
                    " (the limit is {} ms: --timeout-ms, or timeout_ms in the config)",
                    opts.timeout.as_millis()
                ),
            );
        }
        check
    }

    fn check_steps(&mut self, target: &PushTarget, supplied: Option<Credential>, opts: &Options) -> Check {
        let start = Instant::now();
        let deadline = start + opts.timeout;
        let url = &target.url;
        let mut check = Check::of(target);
        if url.transport == Transport::Ssh {
            return self.ssh_step(check, url, opts, start, deadline);
        }
        let (provider, api) = match self.target_step(url) {
            Ok(found) => found,
            Err(skip) => {
                check.host = None;
                check.repository = None;
                check.finding = skip;
                return finish(check, start);
            }
        };
        check.provider = Some(provider);

        let credential = match credential_step(url, provider, supplied, deadline, opts) {
            Ok(c) => c,
            Err(finding) => {
                check.finding = with_token_page(finding, url, provider, api.as_deref());
                return finish(check, start);
            }
        };
        check.credential = Some(CredentialView::of(&credential));

        let now = Utc::now();
        let keys = self.keys(provider, url, &credential);
        check.token_key.clone_from(&keys.token);
        let ctx = Context {
            url,
            api: api.as_deref(),
            credential: &credential,
            remembered: keys.remembered.as_ref(),
            now,
        };

        if let Some(finding) = offline_step(&ctx, provider, opts.mode) {
            check.finding = finding;
            return Self::finish_block(check, &credential, url, start);
        }

        // A date that has passed is a prediction to confirm (order of
        // evidence): the host is asked, never a verdict from before it.
        let date_passed = passed_date(&ctx).is_some() && opts.mode != Mode::Rejected;
        if opts.use_cache
            && !date_passed
            && let Some((finding, at)) = self.cached_step(&ctx, provider, &keys, opts.mode)
        {
            output::step(|| {
                format!(
                    "{}: a verdict from the cache, made at {}",
                    url.host,
                    at.format("%H:%M:%S UTC")
                )
            });
            check.cached = true;
            check.cached_at = Some(at);
            check.finding = self.expiry_warning(settled(finding, provider, opts.mode), &ctx, provider);
            return Self::finish_block(check, &credential, url, start);
        }

        if opts.offline {
            let why = match passed_date(&ctx) {
                Some((at, _)) if date_passed => format!(
                    "not checked online (--offline): the token's announced expiry ({}) has passed, and only the host can say whether it still takes it",
                    at.format("%Y-%m-%d")
                ),
                _ => "not checked online (--offline) and no recent verdict is remembered".to_owned(),
            };
            check.finding = Finding::new(Reason::UnsupportedHost, why);
            return finish(check, start);
        }

        let (answers, finding, sent) =
            self.asked_step(&ctx, provider, api.as_deref(), opts.mode, deadline, date_passed);
        check.requests = sent;
        output::step(|| {
            format!(
                "{} judged it: {} ({} requests)",
                provider.name(),
                finding.reason.code(),
                sent
            )
        });
        check.finding = self.settled_step(&ctx, provider, &keys, &answers, finding, opts.mode);
        if searches_accounts(&check.finding, opts.mode) && may_ask_others(provider, &answers) {
            let (finding, asked) =
                self.accounts_step(&ctx, provider, target.remote.as_deref(), check.finding, deadline);
            check.finding = finding;
            check.requests += asked;
        }
        Self::finish_block(check, &credential, url, start)
    }

    /// SSH remotes (SSH.md): in the pre-push hook git has already
    /// authenticated and read the advertisement, so nothing is asked; else
    /// the SSH step asks git's push check over ssh as git runs it.
    fn ssh_step(
        &self,
        mut check: Check,
        url: &crate::target::RemoteUrl,
        opts: &Options,
        start: Instant,
        deadline: Instant,
    ) -> Check {
        let (provider, _) = providers::for_host(url, self.config.host(&url.host));
        check.provider = Some(provider);
        check.finding = match opts.mode {
            Mode::PrePush | Mode::Gate | Mode::Rejected => Finding::new(
                Reason::SshRemote,
                "SSH remote: git has already authenticated and read the host's push check",
            ),
            Mode::Check if opts.offline => {
                Finding::new(Reason::UnsupportedHost, "SSH remote: not checked online (--offline)")
            }
            Mode::Check => {
                let (finding, view) = crate::ssh::check(url, provider, deadline);
                check.ssh = Some(view);
                finding
            }
        };
        finish(check, start)
    }

    /// On the failure path only: this account may not push, so the other
    /// accounts git could be made to use for this host are asked, each
    /// with git's push check, concurrently under the same deadline; the
    /// ones let in are named with the pin that works for their helper.
    /// Returns the finding with those lines and the requests sent.
    fn accounts_step(
        &self,
        ctx: &Context,
        provider: Provider,
        remote: Option<&str>,
        mut finding: Finding,
        deadline: Instant,
    ) -> (Finding, usize) {
        let url = ctx.url;
        let others = other_remote_urls(url);
        let candidates = crate::accounts::candidates(url, ctx.credential, &others, deadline);
        if candidates.is_empty() {
            return (finding, 0);
        }
        // Each token goes only to the host it is stored for.
        let mut allowed = Destinations::default();
        allowed.allow(url.host.clone());
        let outcomes: Vec<(Option<http::Outcome>, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .iter()
                .map(|c| {
                    let allowed = &allowed;
                    scope.spawn(move || {
                        let probe = Context {
                            credential: &c.credential,
                            remembered: None,
                            ..*ctx
                        }
                        .push_probe("x-access-token");
                        let (mut out, sent) = http::send_all(
                            std::slice::from_ref(&probe),
                            &c.credential.secret,
                            allowed,
                            &self.net,
                            deadline,
                        );
                        (out.pop(), sent)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or((None, 0))).collect()
        });
        let sent = outcomes.iter().map(|(_, n)| n).sum();
        let mut may_push = Vec::new();
        let mut refused = Vec::new();
        let mut unasked = 0;
        for (candidate, (outcome, _)) in candidates.iter().zip(&outcomes) {
            match outcome {
                Some(Ok(r)) if lets_in(r) => may_push.push(candidate),
                Some(Ok(r)) if matches!(r.status, 401 | 403 | 404) => refused.push(candidate.username()),
                _ => unasked += 1,
            }
        }
        let repo = if url.repository.is_empty() {
            url.display.clone()
        } else {
            url.repository.clone()
        };
        // Where the advertisement does not check the right to write
        // (SPEC §2: Hugging Face, Gitea with proc-receive, Bitbucket Cloud),
        // being let in is all that is known before the pack arrives.
        let verb = if provider.advertisement_checks_write() {
            "may push to"
        } else {
            "is let in (whether it may write shows when the pack arrives) at"
        };
        let mut lines: Vec<String> = may_push
            .iter()
            .map(|c| {
                format!(
                    "{} ({}) {verb} {repo} (git's push check lets {} in): {}",
                    c.username(),
                    c.credential.place.id(),
                    c.username(),
                    crate::accounts::pin_line(&c.credential.place, url, remote, c.username())
                )
            })
            .collect();
        if may_push.is_empty() && unasked == 0 {
            let mut names: Vec<&str> = ctx.credential.username.as_deref().into_iter().collect();
            names.extend(refused.iter().copied());
            lines.push(format!(
                "none of the {} accounts for {} may push to {repo} ({}): ask for access to it",
                refused.len() + 1,
                url.host,
                names.join(", ")
            ));
        } else if may_push.is_empty() {
            lines.push(format!(
                "{} other account(s) for {} could not be asked in time; of the others none may push to {repo}",
                unasked, url.host
            ));
        }
        lines.append(&mut finding.fix);
        finding.fix = lines;
        (finding, sent)
    }

    /// The push target's transport decides whether there is a credential to
    /// check, and the host which provider judges it.
    fn target_step(&self, url: &crate::target::RemoteUrl) -> Result<(Provider, Option<String>), Finding> {
        match url.transport {
            Transport::Https | Transport::Http => Ok(providers::for_host(url, self.config.host(&url.host))),
            Transport::Ssh => Err(Finding::new(
                Reason::SshRemote,
                "SSH remote: git authenticates with your SSH key, no token involved",
            )),
            Transport::Local => Err(Finding::new(
                Reason::LocalRemote,
                "local remote: no credential involved",
            )),
            Transport::Other => Err(Finding::new(
                Reason::UnsupportedHost,
                "this transport carries no HTTP credential; nothing to check",
            )),
        }
    }

    /// The keyed hashes that name this token and this verdict in the state,
    /// and what the state remembers of the token.
    fn keys(&mut self, provider: Provider, url: &crate::target::RemoteUrl, credential: &Credential) -> Keys {
        let username = credential.username.clone().unwrap_or_default();
        match self.state() {
            Some(state) => {
                let token = state.key_for(&["token", &url.host], &credential.secret);
                let verdict = state.key_for(
                    &["verdict", provider.name(), &url.host, &username, &url.repository],
                    &credential.secret,
                );
                let remembered = state.remembered(&token).cloned();
                Keys {
                    token: Some(token),
                    verdict: Some(verdict),
                    remembered,
                }
            }
            None => Keys::default(),
        }
    }

    /// The host's answers from the cache, judged again with this run's
    /// context: the words name where the credential comes from now (a
    /// cached sentence said "from credential helper 'store'" after the
    /// switch to another helper, issue 11). A judge that now concludes
    /// otherwise makes it a miss.
    fn cached_step(
        &mut self,
        ctx: &Context,
        provider: Provider,
        keys: &Keys,
        mode: Mode,
    ) -> Option<(Finding, DateTime<Utc>)> {
        let ttl = i64::try_from(self.config.cache_ttl_seconds).unwrap_or(i64::MAX);
        let now = ctx.now;
        let cached = keys
            .verdict
            .as_deref()
            .zip(self.state())
            .and_then(|(vk, state)| {
                let v = state.cached(vk, now, ttl)?;
                // git was refused this secret after that verdict (the observe
                // entry remembers it): a replayed acceptance would deny it.
                let refusal = state.key_for(&["refusal", &ctx.url.host], &ctx.credential.secret);
                let refused_since = state.refusals().iter().any(|r| r.key == refusal && r.at > v.at);
                (v.reason.rejects_credential() || !refused_since).then(|| v.clone())
            })
            .filter(|v| usable_from_cache(v.reason, mode))?;
        let mut answers = replayed_answers(&cached.answers)?;
        if mode == Mode::PrePush {
            answers
                .0
                .push((Purpose::PushProbe, Ok(http::Response::git_witnessed_advertisement())));
        }
        let finding = providers::judge(provider, ctx, &answers);
        let finding = scrubbed(dated(ctx, sane_expiry(ctx, finding, &answers)), ctx.credential);
        (finding.reason == cached.reason).then_some((finding, cached.at))
    }

    /// The host asked, in one round trip: the provider's requests sent
    /// concurrently under the deadline, then judged. Returns the answers,
    /// the judge's finding and how many requests were sent.
    fn asked_step(
        &self,
        ctx: &Context,
        provider: Provider,
        api: Option<&str>,
        mode: Mode,
        deadline: Instant,
        date_passed: bool,
    ) -> (Answers, Finding, usize) {
        let credential = ctx.credential;
        let mut allowed = Destinations::default();
        allowed.allow(ctx.url.host.clone());
        if let Some(api_host) = api.and_then(host_of) {
            allowed.allow(api_host);
        }
        let mut plan = providers::plan(provider, ctx);
        let mut answers = Answers(Vec::new());
        // In the pre-push hook git has just fetched the receive-pack
        // advertisement with this very credential and got it (SPEC §2): that
        // is the push probe's answer, witnessed, so it is not asked again.
        if mode == Mode::PrePush {
            // That the repository exists, git has just seen too.
            plan.retain(|(p, _)| !matches!(p, Purpose::PushProbe | Purpose::ReadProbe));
            answers
                .0
                .push((Purpose::PushProbe, Ok(http::Response::git_witnessed_advertisement())));
        }
        let mut sent = 0;
        // A remembered expiry that has passed: first the one request that
        // decides whether the host still takes the token (the plan's first);
        // a refusal ends the check there, an acceptance asks the rest.
        if date_passed && plan.len() > 1 {
            let first = plan.remove(0);
            let (mut outcome, first_sent) = http::send_all(
                std::slice::from_ref(&first.1),
                &credential.secret,
                &allowed,
                &self.net,
                deadline,
            );
            sent += first_sent;
            if let Some(outcome) = outcome.pop() {
                answers.0.push((first.0, outcome));
                let finding = providers::judge(provider, ctx, &answers);
                if finding.reason.rejects_credential() && !finding.unconfirmed {
                    return (answers, finding, sent);
                }
            }
        }
        let requests: Vec<_> = plan.iter().map(|(_, r)| r.clone()).collect();
        let (outcomes, rest_sent) = http::send_all(&requests, &credential.secret, &allowed, &self.net, deadline);
        sent += rest_sent;
        answers.0.extend(plan.iter().map(|(p, _)| *p).zip(outcomes));
        // What only the first answers can tell to ask (GitLab's push probe,
        // once the project is seen to exist): one more round trip each.
        for _ in 0..2 {
            let Some((purpose, request)) = providers::follow_up(provider, ctx, &answers) else {
                break;
            };
            let (mut outcome, also_sent) = http::send_all(
                std::slice::from_ref(&request),
                &credential.secret,
                &allowed,
                &self.net,
                deadline,
            );
            sent += also_sent;
            match outcome.pop() {
                Some(outcome) => answers.0.push((purpose, outcome)),
                None => break,
            }
        }
        let mut finding = providers::judge(provider, ctx, &answers);
        // Order of evidence: where an inference suggests that the credential
        // may not push and the host's own push check was not asked, ask it
        // (one more request, only on this path) rather than block on a guess.
        // The gate stops git only for a rejected credential, which an extra
        // probe cannot change: it never pays for one.
        if finding.unconfirmed
            && mode != Mode::Gate
            && answers.get(Purpose::PushProbe).is_none()
            && let Some(probe) = providers::push_probe(provider, ctx)
        {
            let (mut outcome, also_sent) = http::send_all(
                std::slice::from_ref(&probe),
                &credential.secret,
                &allowed,
                &self.net,
                deadline,
            );
            sent += also_sent;
            if let Some(outcome) = outcome.pop() {
                answers.0.push((Purpose::PushProbe, outcome));
                finding = providers::judge(provider, ctx, &answers);
            }
        }
        (answers, finding, sent)
    }

    /// The judge's finding weighed by the order of evidence, scrubbed, with
    /// the expiry warning; what the host said while the token worked is
    /// remembered and its answers cached.
    fn settled_step(
        &mut self,
        ctx: &Context,
        provider: Provider,
        keys: &Keys,
        answers: &Answers,
        finding: Finding,
        mode: Mode,
    ) -> Finding {
        let credential = ctx.credential;
        let now = ctx.now;
        // Scrubbed here, before anything is remembered or cached: a host
        // may quote the token back (in its message, even in a header), and
        // the state file must never hold it (SPEC §7 rule 1). It did: the
        // scrub happened only on output, after the verdict was cached.
        let judged = finding.reason;
        let finding = dated(ctx, sane_expiry(ctx, finding, answers));
        let finding = scrubbed(settled(finding, provider, mode), credential);
        let finding = self.expiry_warning(finding, ctx, provider);

        // Remember what the host told us while the token worked, so a later
        // rejection can say "expired on …".
        let accepted = !finding.reason.rejects_credential() && finding.kind() != Kind::Unknown;
        let learned = accepted.then(|| Remembered {
            token: finding.token.clone().unwrap_or_default(),
            last_ok: Some(now),
            expiry_warned: None,
            seen: Some(crate::state::Seen {
                host: ctx.url.host.clone(),
                redacted: credential.secret.redacted(),
                helper: credential.source.label(),
            }),
        });
        let cacheable = !finding.advisory
            && (matches!(finding.kind(), Kind::Ok | Kind::Warn) || finding.reason.rejects_credential());
        let to_cache = cacheable.then(|| CachedVerdict {
            reason: judged,
            // git's witness in the hook is not an answer the host gave:
            // kept out, so that a `check` replaying these answers judges
            // without it (and asks again where the witness made the
            // difference), and the hook adds it back.
            answers: kept_answers(answers, credential, mode == Mode::PrePush),
            at: now,
        });
        if let (Some(tk), Some(vk)) = (keys.token.clone(), keys.verdict.clone())
            && let Some(state) = self.state()
        {
            // Failing to write the cache costs the next check a request, nothing more.
            let _ = state.record(&tk, learned, &vk, to_cache);
        }
        finding
    }

    /// The pre-push hook gives its daily warnings (an expiry ahead, a write
    /// access it cannot tell) at most once a day per token, remembered by
    /// its keyed hash; `check` always shows them.
    pub fn first_daily_warning_today(&mut self, check: &Check) -> bool {
        match (check.token_key.as_deref(), self.state()) {
            (Some(key), Some(state)) => state.first_expiry_warning_today(key, Utc::now()),
            _ => true,
        }
    }

    /// A working token that expires within `warn_expiry_days` is a warning.
    fn expiry_warning(&self, finding: Finding, ctx: &Context, provider: Provider) -> Finding {
        let (credential, now) = (ctx.credential, ctx.now);
        if finding.reason != Reason::Ok {
            return finding;
        }
        let expires = finding
            .token
            .as_ref()
            .and_then(|t| t.expires_at)
            .into_iter()
            .chain(credential.expiry)
            .min();
        let Some(at) = expires else { return finding };
        let days_left = (at - now).num_days();
        if days_left >= self.config.warn_expiry_days || at <= now {
            return finding;
        }
        // Under a day away, the time of day counts: "in 75 s" said
        // "today" for a token with seconds left.
        let when = match days_left {
            0 => format!(
                "in {}, on {} UTC",
                output::span(at - now),
                at.format("%Y-%m-%d at %H:%M")
            ),
            1 => format!("in 1 day, on {}", at.format("%Y-%m-%d")),
            n => format!("in {n} days, on {}", at.format("%Y-%m-%d")),
        };
        Finding {
            reason: Reason::ExpiresSoon,
            message: format!("{} — but it expires {when}", finding.message),
            fix: crate::helpers::renew_steps(
                &credential.place,
                ctx.url,
                ctx.plain_username(),
                &providers::new_token_line(provider, ctx),
            ),
            token: finding.token,
            advisory: false,
            unconfirmed: false,
        }
    }

    /// Blocks that reject the credential say where the stale secret lives.
    fn finish_block(
        mut check: Check,
        credential: &Credential,
        url: &crate::target::RemoteUrl,
        start: Instant,
    ) -> Check {
        if check.finding.reason.rejects_credential()
            && let Some(line) = where_it_lives(credential, url)
        {
            check.finding.fix.insert(0, line);
        }
        // Host words, helper names: anything might quote the secret back.
        check.finding = scrubbed(check.finding, credential);
        finish(check, start)
    }
}

/// What names this check's token and verdict in the state.
#[derive(Default)]
struct Keys {
    token: Option<String>,
    verdict: Option<String>,
    remembered: Option<Remembered>,
}

impl Check {
    fn of(target: &PushTarget) -> Self {
        let url = &target.url;
        Check {
            remote: target.remote.clone(),
            url: url.display.clone(),
            host: (!url.host.is_empty()).then(|| url.host.clone()),
            provider: None,
            repository: (!url.repository.is_empty()).then(|| url.repository.clone()),
            finding: Finding::new(Reason::Ok, ""),
            credential: None,
            requests: 0,
            cached: false,
            cached_at: None,
            elapsed_ms: 0,
            token_key: None,
            ssh: None,
        }
    }
}

impl CredentialView {
    fn of(credential: &Credential) -> Self {
        CredentialView {
            username: credential.username_shown(),
            secret: credential.secret.redacted(),
            kind: credential.kind,
            place: credential.place.clone(),
        }
    }
}

/// The credential git would send: the one supplied (the hook's, a helper
/// entry's), else `git credential fill` under the deadline; classified for
/// this host and named where it lives.
fn credential_step(
    url: &crate::target::RemoteUrl,
    provider: Provider,
    supplied: Option<Credential>,
    deadline: Instant,
    opts: &Options,
) -> Result<Credential, Finding> {
    output::step(|| {
        let entries = crate::git::helper_entries();
        let chain: Vec<String> = crate::git::helper_chain(&entries, url)
            .iter()
            .map(|e| {
                format!(
                    "{} ({} in {})",
                    Source::Helper(crate::git::helper_command(&e.value)).place().id(),
                    crate::target::without_userinfo(&e.key()),
                    e.origin
                )
            })
            .collect();
        if chain.is_empty() {
            "credential helpers git runs for this URL: none".to_owned()
        } else {
            format!(
                "credential helpers git runs for this URL, in order: {}",
                chain.join(", ")
            )
        }
    });
    let mut credential = match supplied {
        // Refused with an `Authorization` extra header in place, git sent
        // the header, not what its helpers gave (curl's own header loses
        // to it; seen with git 2.47): judge what was refused.
        Some(c) if opts.mode == Mode::Rejected => {
            credential::from_extra_header(url, &crate::git::extra_header_origins(deadline)).unwrap_or(c)
        }
        Some(c) => c,
        None => match credential::lookup(url, deadline) {
            Ok(Lookup::Found(c)) => c,
            Ok(Lookup::Missing { helpers_run }) => return Err(no_credential(url, &helpers_run)),
            Ok(Lookup::TimedOut) => {
                return Err(Finding::new(
                    Reason::Timeout,
                    format!(
                        "git credential fill did not finish within {} ms (a helper may be waiting for input); not checked (the limit: --timeout-ms, or timeout_ms in the config)",
                        opts.timeout.as_millis()
                    ),
                ));
            }
            Ok(Lookup::Failed(why)) => {
                return Err(Finding::new(
                    Reason::UnexpectedResponse,
                    format!("could not ask git for the credential: {why}"),
                ));
            }
            Err(e) => {
                return Err(Finding::new(
                    Reason::UnexpectedResponse,
                    format!("could not ask git for the credential: {e:#}"),
                ));
            }
        },
    };
    // The same text is a different kind of token on different hosts.
    credential.kind = crate::tokens::classify_for(&credential.secret, provider);
    output::step(|| {
        format!(
            "the credential: {} for {}, {}",
            credential.kind.describe(),
            url.host,
            match credential.place.from_phrase() {
                p if p.is_empty() => "from a helper git did not name".to_owned(),
                p => p,
            }
        )
    });
    token_in_username(&mut credential, provider);
    // gh answers from GH_TOKEN & co. before its login: when it did, the
    // stale token is that variable (named, never shown).
    credential.place.env =
        crate::helpers::gh_variable(&credential.place.kind, &url.hostname, &credential.secret, |k| {
            std::env::var(k).ok()
        });
    if let (Some(var), Some(home)) = (credential.place.env, std::env::var_os("HOME")) {
        credential.place.env_set_in = crate::helpers::variable_set_in(var, std::path::Path::new(&home));
    }
    Ok(credential)
}

/// The account search runs only where the verdict is that this account
/// may not push (`no_repo_access`: GitHub's `Permission to O/R.git denied
/// to U`, GitLab's role refusal, Bitbucket's no-access), never on `ok`,
/// never for the gate (which stops git only for a rejected credential).
fn searches_accounts(finding: &Finding, mode: Mode) -> bool {
    finding.reason == Reason::NoRepoAccess
        && finding.kind() == Kind::Block
        && matches!(mode, Mode::Check | Mode::PrePush)
}

/// The other accounts are asked with the push probe, which GitLab (and
/// Gitea/Forgejo with push-to-create, and a server nobody named may be
/// either) answers by creating a missing repository for an account that may
/// create one (SPEC §2): there, only a repository this check has seen exist
/// (an answer of the repository API, git's advertisement, or a push check
/// that refused with 403) is asked about.
fn may_ask_others(provider: Provider, answers: &Answers) -> bool {
    if !matches!(provider, Provider::Gitlab | Provider::Gitea | Provider::Generic) {
        return true;
    }
    answers.0.iter().any(|(purpose, outcome)| match (purpose, outcome) {
        (Purpose::Repository | Purpose::ReadProbe, Ok(r)) => r.status == 200,
        (Purpose::PushProbe, Ok(r)) => matches!(r.status, 200 | 403),
        _ => false,
    })
}

/// git's push check let the credential in: the receive-pack advertisement.
fn lets_in(r: &Response) -> bool {
    r.status == 200
        && r.header("content-type")
            .is_some_and(|t| t.starts_with("application/x-git-receive-pack-advertisement"))
}

/// The URLs of the repository's other remotes (their usernames name
/// accounts the user keeps for the host).
fn other_remote_urls(url: &crate::target::RemoteUrl) -> Vec<crate::target::RemoteUrl> {
    let Ok(Some(repo)) = crate::target::Repo::discover() else {
        return Vec::new();
    };
    repo.remote_names()
        .iter()
        .filter_map(|name| repo.push_target(name).ok())
        .map(|t| t.url)
        .filter(|u| u.host == url.host && u.username.is_some() && u.username != url.username)
        .collect()
}

/// The rules that need no request. In the pre-push hook git has just
/// authenticated with this very credential (SPEC §2), so an offline rule
/// that rejects it (a shape, a date, a username) contradicts the evidence:
/// there the host decides. A wrong rule then costs one request, never a
/// good push.
///
/// A date is never one of these rules (order of evidence, time): a
/// remembered expiry, a helper's `password_expiry_utc` or a retirement day
/// only predicts a refusal. The one exception is the observe entry, where
/// git has just been refused with this credential (level 1): there a date
/// that has passed explains that refusal without a request.
fn offline_step(ctx: &Context, provider: Provider, mode: Mode) -> Option<Finding> {
    let explained = (mode == Mode::Rejected)
        .then(|| passed_date(ctx))
        .flatten()
        .map(|(at, said_by)| {
            expired_on(ctx, at, said_by).fixes(ctx.replace("the old one", &providers::new_token_line(provider, ctx)))
        });
    explained
        .or_else(|| providers::offline(provider, ctx))
        .filter(|f| mode != Mode::PrePush || !f.reason.rejects_credential())
}

/// Text from the host, as it may be kept: without the secret, nor a
/// username that is itself a token.
fn scrub_text(text: &str, credential: &Credential) -> String {
    let text = crate::secret::scrub(text, &credential.secret);
    match credential
        .username
        .as_deref()
        .filter(|u| crate::tokens::classify(u) != TokenKind::Unrecognised)
    {
        Some(u) => crate::secret::scrub(&text, &Secret::new(u)),
        None => text,
    }
}

fn purpose_name(p: Purpose) -> &'static str {
    match p {
        Purpose::Rest => "rest",
        Purpose::User => "user",
        Purpose::Repository => "repository",
        Purpose::PushProbe => "push_probe",
        Purpose::ReadProbe => "read_probe",
    }
}

/// The host's answers as the state keeps them: scrubbed (SPEC §7 rule 1),
/// each body cut at [`crate::state::ANSWER_BODY_CAP`].
fn kept_answers(answers: &Answers, credential: &Credential, witnessed: bool) -> Vec<CachedAnswer> {
    answers
        .0
        .iter()
        .filter(|(purpose, _)| !(witnessed && *purpose == Purpose::PushProbe))
        .map(|(purpose, outcome)| {
            let purpose = purpose_name(*purpose).to_owned();
            match outcome {
                Ok(r) => {
                    // Scrubbed whole, then cut: a secret quoted across the
                    // cut must not survive as a prefix.
                    let body = scrub_text(&String::from_utf8_lossy(&r.body), credential);
                    let mut end = body.len().min(crate::state::ANSWER_BODY_CAP);
                    while !body.is_char_boundary(end) {
                        end -= 1;
                    }
                    CachedAnswer {
                        purpose,
                        status: r.status,
                        // Session cookies are credentials of their own, and
                        // no judge reads them.
                        headers: r
                            .headers
                            .iter()
                            .filter(|(k, _)| !matches!(k.to_ascii_lowercase().as_str(), "set-cookie" | "cookie"))
                            .map(|(k, v)| (k.clone(), scrub_text(v, credential)))
                            .collect(),
                        body: body[..end].to_owned(),
                        failure: None,
                    }
                }
                Err(f) => CachedAnswer {
                    purpose,
                    status: 0,
                    headers: Vec::new(),
                    body: String::new(),
                    failure: Some(match f {
                        Failure::Timeout => "timeout".to_owned(),
                        Failure::TooLarge => "too_large".to_owned(),
                        Failure::Network(m) => format!("network: {}", scrub_text(m, credential)),
                        Failure::NotAllowed(m) => format!("not_allowed: {}", scrub_text(m, credential)),
                    }),
                },
            }
        })
        .collect()
}

/// The answers a judge reads, from the state; `None` when there are none
/// (an entry from before answers were kept) or one is not understood.
fn replayed_answers(kept: &[CachedAnswer]) -> Option<Answers> {
    if kept.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(kept.len());
    for a in kept {
        let purpose = [
            Purpose::Rest,
            Purpose::User,
            Purpose::Repository,
            Purpose::PushProbe,
            Purpose::ReadProbe,
        ]
        .into_iter()
        .find(|p| purpose_name(*p) == a.purpose)?;
        let outcome = match a.failure.as_deref() {
            None => Ok(Response {
                status: a.status,
                headers: a.headers.clone(),
                body: a.body.clone().into_bytes(),
            }),
            Some("timeout") => Err(Failure::Timeout),
            Some("too_large") => Err(Failure::TooLarge),
            Some(f) => match f.split_once(": ") {
                Some(("network", m)) => Err(Failure::Network(m.to_owned())),
                Some(("not_allowed", m)) => Err(Failure::NotAllowed(m.to_owned())),
                _ => return None,
            },
        };
        out.push((purpose, outcome));
    }
    Some(Answers(out))
}

/// `finding` with the secret, and a username that is itself a token,
/// replaced by their redacted forms wherever text from elsewhere (a host's
/// words, its headers) could have carried them: message, fix and the token
/// facts that are shown, remembered and cached.
fn scrubbed(mut finding: Finding, credential: &Credential) -> Finding {
    let token_username = credential
        .username
        .as_deref()
        .filter(|u| crate::tokens::classify(u) != TokenKind::Unrecognised)
        .map(Secret::new);
    let clean = |text: &str| {
        let text = crate::secret::scrub(text, &credential.secret);
        match &token_username {
            Some(u) => crate::secret::scrub(&text, u),
            None => text,
        }
    };
    finding.message = clean(&finding.message);
    for line in &mut finding.fix {
        *line = clean(line);
    }
    if let Some(t) = &mut finding.token {
        t.login = t.login.as_deref().map(clean);
        if let Some(scopes) = &mut t.scopes {
            for scope in scopes {
                *scope = clean(scope);
            }
        }
    }
    finding
}

fn finish(mut check: Check, start: Instant) -> Check {
    check.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    check
}

/// GitHub's old convention puts the token in the username and anything (often
/// `x-oauth-basic`) in the password: `https://TOKEN:x-oauth-basic@github.com/…`.
/// git sends both, GitHub takes the token from the username, and the push
/// works; judging the password would block a good push. So on GitHub a
/// token-shaped username with a password that is no token is the credential.
fn token_in_username(credential: &mut Credential, provider: Provider) {
    if provider != Provider::Github || credential.kind.is_github() {
        return;
    }
    let Some(user) = credential.username.as_deref() else {
        return;
    };
    let kind = crate::tokens::classify(user);
    if kind.is_github() {
        credential.secret = crate::secret::Secret::new(user);
        credential.kind = kind;
        credential.username = None;
    }
}

/// What a judge concluded, weighed by the order of evidence: an inference
/// git could not confirm is only a warning, and so, in the hook, is what
/// git's own answer contradicts. Applied alike to fresh and replayed answers.
fn settled(mut finding: Finding, provider: Provider, mode: Mode) -> Finding {
    if finding.unconfirmed && finding.reason.kind() == Kind::Block {
        finding.advisory = true;
    }
    if mode == Mode::PrePush {
        finding = within_hook(finding, provider);
    }
    finding
}

/// The pre-push hook's rule (SPEC §2, order of evidence): git has just
/// authenticated with this credential and fetched the advertisement, so a
/// finding that rejects the credential contradicts git's own answer, and on
/// hosts whose advertisement checks the right to push (GitHub, GitLab) so
/// does any other block but what only the pushed content decides. Such a
/// finding stays, as a warning: it may explain a refusal when the pack
/// arrives, but it never stops a push git has let through.
fn within_hook(mut finding: Finding, provider: Provider) -> Finding {
    if finding.reason.kind() != Kind::Block {
        return finding;
    }
    if finding.reason.rejects_credential() || provider.advertisement_checks_write() {
        finding.advisory = true;
        finding.add("git has just been let through with this credential, so the push is not stopped");
    }
    finding
}

/// Which cached verdicts the mode may reuse (see [`Mode`]).
fn usable_from_cache(reason: Reason, mode: Mode) -> bool {
    match mode {
        Mode::Check => true,
        // The gate stops git only on a refusal the host gives in this run:
        // a remembered one is asked again (git would send it anyway).
        Mode::Gate | Mode::PrePush => !reason.rejects_credential(),
        Mode::Rejected => reason.rejects_credential(),
    }
}

/// The latest expiry a prediction names that has passed: the helper's
/// `password_expiry_utc` first (it is about this very secret), else the
/// one the host reported while the token still worked.
fn passed_date(ctx: &Context) -> Option<(DateTime<Utc>, &'static str)> {
    let helper = ctx.credential.expiry.filter(|e| *e <= ctx.now);
    let remembered = ctx
        .remembered
        .and_then(|r| r.token.expires_at)
        .filter(|e| *e <= ctx.now);
    match (helper, remembered) {
        (Some(e), _) => Some((e, BY_HELPER)),
        (None, Some(e)) => Some((e, "as the host reported while it still worked")),
        (None, None) => None,
    }
}

const BY_HELPER: &str = "as its credential helper says (password_expiry_utc)";

/// `token_expired` on a date a prediction named, for a refusal it explains;
/// the caller adds the fix (the host's own, or the token page).
fn expired_on(ctx: &Context, at: DateTime<Utc>, said_by: &str) -> Finding {
    Finding::new(
        Reason::TokenExpired,
        format!("{} expired on {}, {said_by}", ctx.subject(), at.format("%Y-%m-%d")),
    )
    .with_token(TokenInfo {
        expires_at: Some(at),
        ..ctx.remembered.map(|r| r.token.clone()).unwrap_or_default()
    })
}

/// A date that has passed, weighed against the host's answer in this run:
/// a refusal whose cause the host does not say is explained by it
/// (`token_expired`, with the date); an acceptance says the date was wrong
/// (the state then forgets it: [`State::record`]).
fn dated(ctx: &Context, finding: Finding) -> Finding {
    let Some((at, said_by)) = passed_date(ctx) else {
        return finding;
    };
    if finding.reason == Reason::TokenInvalid {
        let mut explained = expired_on(ctx, at, said_by);
        explained.fix = finding.fix;
        return explained;
    }
    if matches!(finding.kind(), Kind::Ok | Kind::Warn) && !finding.reason.rejects_credential() {
        let mut noted = finding;
        let day = at.format("%Y-%m-%d");
        let _ = if said_by == BY_HELPER {
            write!(
                noted.message,
                "; its credential helper gives {day} as its expiry (password_expiry_utc), which has passed, and the host still accepts it"
            )
        } else {
            write!(
                noted.message,
                "; the host had announced that it expires on {day}, which has passed, and still accepts it: that date is forgotten"
            )
        };
        return noted;
    }
    finding
}

/// How far ahead a learned expiry may be: hosts cap token lifetimes at a
/// year or so (GitHub fine-grained: 366 days; GitLab: 400 days at most);
/// a date beyond this is a misread, not a prediction worth keeping.
const EXPIRY_HORIZON_DAYS: i64 = 5 * 366;

/// The token's reported expiry, kept only when it can be true of a token
/// the host has just accepted: after the answer's own time (its `Date`
/// header, and our clock) and within [`EXPIRY_HORIZON_DAYS`]. GitHub was
/// reported sending the current time as a fine-grained token's expiry
/// (google/go-github#3708); such a date is said, never learned.
fn sane_expiry(ctx: &Context, mut finding: Finding, answers: &Answers) -> Finding {
    let now = ctx.now;
    if !matches!(finding.kind(), Kind::Ok | Kind::Warn) {
        return finding;
    }
    let Some(at) = finding.token.as_ref().and_then(|t| t.expires_at) else {
        return finding;
    };
    // The date the host announced before and announces still: [`dated`]
    // says it once.
    let said_before = ctx.remembered.and_then(|r| r.token.expires_at) == Some(at) && at <= now;
    let answered = answers
        .0
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok())
        .filter_map(|r| r.header("date"))
        .filter_map(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .max();
    let floor = answered.map_or(now, |a| a.max(now));
    let note = if at <= floor {
        if answered.is_some_and(|a| (a - at).num_seconds().abs() <= 60) {
            "the host reported an expiry of now for a token it accepted, so that date is not remembered".to_owned()
        } else {
            format!(
                "the host reported an expiry in the past ({}) for a token it accepted, so that date is not remembered",
                at.format("%Y-%m-%d %H:%M UTC")
            )
        }
    } else if at > now + chrono::Duration::days(EXPIRY_HORIZON_DAYS) {
        format!(
            "the host reported an expiry more than five years ahead ({}), so that date is not remembered",
            at.format("%Y-%m-%d")
        )
    } else {
        return finding;
    };
    if let Some(t) = &mut finding.token {
        t.expires_at = None;
    }
    if !said_before {
        finding.add(&note);
    }
    finding
}

/// Puts the remote's name in the `git remote set-url <remote> …` lines a
/// fix is built with, as the user types it. A URL checked by itself (or an
/// ssh connection git made for no named remote) has no name to put there:
/// the line then says in words what to do, for the shell would read
/// `<remote>` as a redirection.
pub fn name_remote(fix: &mut [String], remote: Option<&str>) {
    let placeholder = format!("{}git remote set-url <remote> ", crate::helpers::COMMAND);
    for line in fix {
        match remote {
            Some(name) => {
                *line = line.replace(
                    "git remote set-url <remote> ",
                    &format!("git remote set-url {} ", crate::helpers::shell_word(name)),
                );
            }
            None => {
                if let Some(url) = line.strip_prefix(&placeholder) {
                    *line =
                        format!("set the URL of each remote that uses this one to {url} (git remote set-url NAME URL)");
                }
            }
        }
    }
}

/// `no_credential` asks the user for a token: where to make one comes
/// first, the host's own page with its scopes prefilled, as in every other
/// fix that makes a token. (Not where a helper is missing: installing it
/// may bring the token back.)
fn with_token_page(
    mut finding: Finding,
    url: &crate::target::RemoteUrl,
    provider: Provider,
    api: Option<&str>,
) -> Finding {
    let asks_for_one = finding.fix.last().is_some_and(|f| !f.starts_with("install "));
    if finding.reason != Reason::NoCredential || !asks_for_one || provider == Provider::Generic {
        return finding;
    }
    // No credential to describe: the page for a new token of the usual kind.
    let none = Credential::new(None, crate::secret::Secret::new(String::new()), Source::Unknown);
    let ctx = Context {
        url,
        api,
        credential: &none,
        remembered: None,
        now: Utc::now(),
    };
    finding.fix.insert(0, crate::providers::new_token_line(provider, &ctx));
    finding
}

fn no_credential(url: &crate::target::RemoteUrl, helpers_run: &[String]) -> Finding {
    // Our own entries are asked too, but store nothing: never named as a store.
    let helpers_run: Vec<String> = helpers_run
        .iter()
        .filter(|h| !crate::install::is_our_command(h))
        .cloned()
        .collect();
    let helpers_run = helpers_run.as_slice();
    let exec_path = if helpers_run.is_empty() {
        None
    } else {
        crate::git::exec_path()
    };
    // A helper that is not installed answers nothing: name it as missing,
    // for that is the cause (git only says "not a git command" in passing).
    let asked_helpers: Vec<(crate::helpers::Place, Option<String>)> = helpers_run
        .iter()
        .map(|h| {
            (
                Source::Helper(h.clone()).place(),
                crate::helpers::missing_program(h, exec_path.as_deref()),
            )
        })
        .collect();
    let missing: Vec<&String> = asked_helpers.iter().filter_map(|(_, m)| m.as_ref()).collect();
    let asked = if helpers_run.is_empty() {
        "no credential helper is configured".to_owned()
    } else {
        let mut names: Vec<String> = asked_helpers
            .iter()
            .map(|(place, missing)| match missing {
                Some(program) => format!("{} (not installed: {program} not found)", place.id()),
                None => place.name(),
            })
            .collect();
        // git may ask a helper twice (once per credential pass): name it once.
        names.dedup();
        format!("no credential helper had one (asked: {})", names.join(", "))
    };
    let fix = if let Some(program) = missing.first() {
        format!(
            "install {program}, or remove that credential.helper entry (`git config --show-origin --get-regexp 'credential.*helper'` shows where it is)"
        )
    } else if helpers_run.is_empty() {
        "store a token once, e.g. with `git config --global credential.helper store` (or your keychain helper), then push".to_owned()
    } else {
        let mut names: Vec<String> = asked_helpers.iter().map(|(place, _)| place.name()).collect();
        names.dedup();
        format!(
            "push once from a terminal and enter a token when git asks: git then saves it with {}",
            names.join(", ")
        )
    };
    Finding::new(
        Reason::NoCredential,
        format!("git has no stored credential for {}: {asked}; git will ask for one when you push (or fail without a terminal)", url.host),
    )
    .fix(fix)
}

/// The line that says where a rejected credential lives: the helper, its
/// config entry and file, the environment variable, or the URL.
fn where_it_lives(credential: &Credential, url: &crate::target::RemoteUrl) -> Option<String> {
    let origin = match &credential.source {
        Source::Helper(cmd) => crate::git::helper_entries()
            .into_iter()
            .find(|e| crate::git::helper_command(&e.value) == *cmd)
            .map(|e| format!("{} in {}", e.key(), e.origin)),
        _ => None,
    };
    crate::helpers::lives_line(&credential.place, url, origin.as_deref())
}

fn host_of(api: &str) -> Option<String> {
    let u = reqwest::Url::parse(api).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache keeps the host's answers without the secret, and gives
    /// the judge back what it read (issue 11: facts, not sentences).
    #[test]
    fn kept_answers_are_scrubbed_and_replay_as_the_judge_read_them() {
        let token = "ghp_KEPTkeptKEPTkeptKEPTkeptKEPTkept0123";
        let cred = Credential::new(Some("alice".to_owned()), Secret::new(token), Source::Url);
        let answers = Answers(vec![
            (
                Purpose::Rest,
                Ok(Response {
                    status: 200,
                    headers: vec![
                        ("x-oauth-scopes".to_owned(), "repo".to_owned()),
                        ("x-echo".to_owned(), token.to_owned()),
                        (
                            "set-cookie".to_owned(),
                            "BITBUCKETSESSIONID=session-of-alice".to_owned(),
                        ),
                    ],
                    body: format!("{{\"login\":\"alice\",\"quoted\":\"{token}\"}}").into_bytes(),
                }),
            ),
            (Purpose::PushProbe, Err(Failure::Network("refused".to_owned()))),
            (Purpose::User, Err(Failure::Timeout)),
        ]);
        let kept = kept_answers(&answers, &cred, false);
        let stored = serde_json::to_string(&kept).unwrap();
        assert!(!stored.contains("KEPTkept"), "{stored}");
        assert!(
            !stored.contains("session-of-alice"),
            "a session cookie is kept: {stored}"
        );
        let back = replayed_answers(&kept).unwrap();
        let rest = back.ok(Purpose::Rest).unwrap();
        assert_eq!(rest.status, 200);
        assert_eq!(rest.header("x-oauth-scopes"), Some("repo"));
        assert_eq!(rest.json().unwrap()["login"], "alice");
        assert_eq!(
            back.get(Purpose::PushProbe).unwrap().as_ref().err(),
            Some(&Failure::Network("refused".to_owned()))
        );
        assert_eq!(back.get(Purpose::User).unwrap().as_ref().err(), Some(&Failure::Timeout));
        // Entries from before answers were kept are misses.
        assert!(replayed_answers(&[]).is_none());
    }

    fn ctx_at<'a>(
        url: &'a crate::target::RemoteUrl,
        cred: &'a Credential,
        remembered: Option<&'a Remembered>,
        now: DateTime<Utc>,
    ) -> Context<'a> {
        Context {
            url,
            api: None,
            credential: cred,
            remembered,
            now,
        }
    }

    fn accepted_with_expiry(at: DateTime<Utc>) -> Finding {
        Finding::new(Reason::Ok, "GitHub accepts it").with_token(TokenInfo {
            expires_at: Some(at),
            ..TokenInfo::default()
        })
    }

    fn answered_at(date: &str) -> Answers {
        Answers(vec![(
            Purpose::Rest,
            Ok(Response {
                status: 200,
                headers: vec![("Date".to_owned(), date.to_owned())],
                body: Vec::new(),
            }),
        )])
    }

    /// Issue 16: an expiry at the answer's own time (an HTTP date, as hosts
    /// send it) is said and not kept; one years out is not kept either; a
    /// sane one is.
    #[test]
    fn a_learned_expiry_must_be_after_the_answer_and_within_five_years() {
        let url = crate::target::RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap();
        let cred = Credential::new(None, Secret::new("x"), Source::Url);
        let now: DateTime<Utc> = "2026-12-06T20:00:00Z".parse().unwrap();
        let ctx = ctx_at(&url, &cred, None, now);
        let answers = answered_at("Sun, 06 Dec 2026 20:00:00 GMT");

        let f = sane_expiry(&ctx, accepted_with_expiry(now), &answers);
        assert!(f.token.unwrap().expires_at.is_none());
        assert!(
            f.message
                .contains("the host reported an expiry of now for a token it accepted"),
            "{}",
            f.message
        );
        let earlier = now - chrono::Duration::days(3);
        let f = sane_expiry(&ctx, accepted_with_expiry(earlier), &answers);
        assert!(f.token.unwrap().expires_at.is_none());
        assert!(f.message.contains("an expiry in the past (2026-12-03"), "{}", f.message);
        let far = now + chrono::Duration::days(20 * 365);
        let f = sane_expiry(&ctx, accepted_with_expiry(far), &answers);
        assert!(f.token.unwrap().expires_at.is_none());
        assert!(f.message.contains("more than five years ahead"), "{}", f.message);
        let fine = now + chrono::Duration::days(90);
        let f = sane_expiry(&ctx, accepted_with_expiry(fine), &answers);
        assert_eq!(f.token.unwrap().expires_at, Some(fine));
        assert_eq!(f.message, "GitHub accepts it");
        // The host's clock counts: its Date is ahead of ours by a day.
        let f = sane_expiry(
            &ctx,
            accepted_with_expiry(now + chrono::Duration::hours(2)),
            &answered_at("Mon, 07 Dec 2026 20:00:00 GMT"),
        );
        assert!(f.token.unwrap().expires_at.is_none());
    }

    /// Issue 16: a passed date explains a refusal whose cause the host does
    /// not say, and is contradicted by an acceptance; it blocks nothing.
    #[test]
    fn a_passed_date_explains_a_refusal_and_an_acceptance_overrules_it() {
        let url = crate::target::RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap();
        let cred = Credential::new(None, Secret::new("x"), Source::Url);
        let now: DateTime<Utc> = "2026-12-06T20:00:00Z".parse().unwrap();
        let remembered = Remembered {
            token: TokenInfo {
                expires_at: Some("2026-04-27T08:00:00Z".parse().unwrap()),
                ..TokenInfo::default()
            },
            ..Remembered::default()
        };
        let ctx = ctx_at(&url, &cred, Some(&remembered), now);
        let f = dated(
            &ctx,
            Finding::new(Reason::TokenInvalid, "GitHub rejects it").fix("renew"),
        );
        assert_eq!(f.reason, Reason::TokenExpired);
        assert!(
            f.message
                .contains("expired on 2026-04-27, as the host reported while it still worked"),
            "{}",
            f.message
        );
        assert_eq!(f.fix, vec!["renew".to_owned()]);
        let f = dated(&ctx, Finding::new(Reason::Ok, "GitHub accepts it"));
        assert_eq!(f.reason, Reason::Ok);
        assert!(
            f.message
                .contains("had announced that it expires on 2026-04-27, which has passed, and still accepts it"),
            "{}",
            f.message
        );
        // Nothing is offline but in the observe entry, where git was refused.
        for mode in [Mode::Check, Mode::Gate, Mode::PrePush] {
            assert!(offline_step(&ctx, Provider::Generic, mode).is_none(), "{mode:?}");
        }
        let f = offline_step(&ctx, Provider::Generic, Mode::Rejected).unwrap();
        assert_eq!(f.reason, Reason::TokenExpired);
    }

    /// A body longer than the cap is kept in part: a judge that then
    /// concludes otherwise makes the entry a miss (checked in `check`).
    /// Where a push probe could create the repository, others are asked
    /// only about one seen to exist.
    #[test]
    fn others_are_asked_only_where_no_repository_can_be_created() {
        let answer = |purpose, status| {
            (
                purpose,
                Ok(Response {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                }),
            )
        };
        let missing = Answers(vec![answer(Purpose::ReadProbe, 404)]);
        assert!(may_ask_others(Provider::Github, &missing));
        assert!(!may_ask_others(Provider::Gitlab, &missing));
        assert!(!may_ask_others(Provider::Gitea, &Answers(Vec::new())));
        assert!(may_ask_others(
            Provider::Gitlab,
            &Answers(vec![answer(Purpose::ReadProbe, 200)])
        ));
        assert!(may_ask_others(
            Provider::Generic,
            &Answers(vec![answer(Purpose::PushProbe, 403)])
        ));
    }

    #[test]
    fn long_bodies_are_kept_in_part() {
        let cred = Credential::new(None, Secret::new("x"), Source::Url);
        let answers = Answers(vec![(
            Purpose::PushProbe,
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: vec![b'a'; crate::state::ANSWER_BODY_CAP * 2],
            }),
        )]);
        assert_eq!(
            kept_answers(&answers, &cred, false)[0].body.len(),
            crate::state::ANSWER_BODY_CAP
        );
    }
}
