//! `fjordsync remote add|list|show|remove|reconnect`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context as _, bail};
use fjordsync_engine::session::{self, client_options, endpoints_for};
use fjordsync_engine::{RemoteConfig, Remotes, SignIn};
use fjordsync_jottacloud::auth::{self, LegacyClient, TraditionalOptions};
use fjordsync_jottacloud::{Token, TokenStore};

use crate::args::{RemoteCommand, SignInArgs};
use crate::context::Context;
use crate::output;
use crate::render::escape;

pub async fn run(ctx: &Context, cmd: RemoteCommand) -> anyhow::Result<()> {
    let mut out = output::stdout();
    run_to(ctx, cmd, &mut out).await?;
    Ok(out.flush()?)
}

/// Device, mountpoint and account names come from the service or other
/// people's settings, so they are escaped like file names.
async fn run_to(ctx: &Context, cmd: RemoteCommand, out: &mut output::Stdout) -> anyhow::Result<()> {
    match cmd {
        RemoteCommand::Add(a) => {
            let (token, sign_in) = sign_in(&a.sign_in, None).await?;
            let remote = RemoteConfig {
                name: a.name.clone(),
                service: a.sign_in.service.clone(),
                sign_in,
                endpoint: a.sign_in.endpoint.clone(),
                device: a.device.clone(),
                mountpoint: a.mountpoint.clone(),
                username: None,
                login: a.sign_in.username.clone(),
            };
            let s = session::add_remote(&ctx.config, ctx.secrets.clone(), remote, token, a.create).await?;
            writeln!(
                out,
                "Added remote {:?}: account {}, {}/{}. Try `fjordsync about {}:`.",
                s.remote.name,
                escape(s.remote.username.as_deref().unwrap_or("?")),
                escape(&s.remote.device),
                escape(&s.remote.mountpoint),
                s.remote.name
            )?;
            Ok(())
        }
        RemoteCommand::List => {
            let remotes = Remotes::new(ctx.config.clone()).list()?;
            if remotes.is_empty() {
                writeln!(
                    out,
                    "No remotes yet. Add one with `fjordsync remote add NAME --login-token -` (paste the token)."
                )?;
            }
            for r in remotes {
                writeln!(out, "{}:\t{}\t{}/{}", r.name, escape(&r.service), escape(&r.device), escape(&r.mountpoint))?;
            }
            Ok(())
        }
        RemoteCommand::Show { name } => {
            let r = Remotes::new(ctx.config.clone()).get(&name)?;
            let store = fjordsync_engine::token_store::RemoteTokenStore::new(&ctx.config, &name, ctx.secrets.clone())?;
            let token = store.load().ok().flatten();
            writeln!(out, "name:       {}", r.name)?;
            writeln!(out, "service:    {}", escape(&service_label(&r.service)))?;
            writeln!(out, "sign-in:    {}", r.sign_in)?;
            writeln!(out, "endpoint:   {}", escape(r.endpoint.as_deref().unwrap_or("production (jottacloud.com)")))?;
            writeln!(out, "account:    {}", escape(r.username.as_deref().unwrap_or("?")))?;
            writeln!(out, "device:     {}", escape(&r.device))?;
            writeln!(out, "mountpoint: {}", escape(&r.mountpoint))?;
            writeln!(
                out,
                "token:      {} in {}",
                if token.is_some() { "stored" } else { "missing (reconnect needed)" },
                ctx.secrets.describe()
            )?;
            Ok(())
        }
        RemoteCommand::Remove { name } => {
            session::remove_remote(&ctx.config, ctx.secrets.clone(), &name)?;
            writeln!(out, "Removed remote {name:?} and its stored token.")?;
            Ok(())
        }
        RemoteCommand::Reconnect(a) => {
            let existing = Remotes::new(ctx.config.clone()).get(&a.name)?;
            let (token, _) = sign_in(&a.sign_in, Some(&existing)).await?;
            let s = session::reconnect_remote(&ctx.config, ctx.secrets.clone(), &a.name, token).await?;
            let account = escape(s.remote.username.as_deref().unwrap_or("?"));
            writeln!(out, "Reconnected remote {:?} ({account}).", s.remote.name)?;
            Ok(())
        }
    }
}

fn service_label(key: &str) -> String {
    match auth::service(key) {
        Some(s) => format!("{} ({key})", s.name),
        None => key.to_string(),
    }
}

/// Runs the chosen sign-in flow. For a reconnect the remote's own endpoint and
/// service are used unless the user gives others.
async fn sign_in(a: &SignInArgs, existing: Option<&RemoteConfig>) -> anyhow::Result<(Token, SignIn)> {
    let endpoint = a.endpoint.clone().or_else(|| existing.and_then(|r| r.endpoint.clone()));
    let endpoints = endpoints_for(endpoint.as_deref())?;
    let options = client_options();
    if let Some(t) = login_token(a)? {
        let token = auth::login_with_token(&endpoints, &options, &t).await?;
        return Ok((token, SignIn::Standard));
    }
    if a.browser {
        let key = if a.service == "jottacloud" {
            existing.map(|r| r.service.as_str()).unwrap_or("jottacloud")
        } else {
            &a.service
        };
        let service = auth::service(key).with_context(|| {
            let keys: Vec<_> = auth::SERVICES.iter().map(|s| s.key).collect();
            format!("unknown service {key:?}; known: {}", keys.join(", "))
        })?;
        let no_open = a.no_open;
        eprintln!("Signing in to {} in your browser. Waiting for the browser... (Ctrl-C cancels)", service.name);
        let token = auth::login_traditional(
            &endpoints,
            &options,
            service,
            move |url| {
                eprintln!("If no browser opens, visit:\n  {url}");
                if no_open { Ok(()) } else { open::that_detached(url.as_str()).or(Ok(())) }
            },
            &TraditionalOptions::default(),
        )
        .await?;
        return Ok((token, SignIn::Traditional));
    }
    if a.legacy {
        let username = a
            .username
            .clone()
            .or_else(|| existing.and_then(|r| r.login.clone()))
            .context("--legacy needs --username")?;
        let password = match &a.password_env {
            Some(var) => std::env::var(var).with_context(|| format!("environment variable {var} is not set"))?,
            None => prompt_secret(&format!("Password for {username}: "))?,
        };
        let token =
            auth::login_legacy(&endpoints, &options, &LegacyClient::default(), &username, &password, || async {
                tokio::task::spawn_blocking(|| prompt_line("Two-factor code from SMS: ").ok()).await.ok().flatten()
            })
            .await?;
        return Ok((token, SignIn::Legacy));
    }
    bail!(
        "choose how to sign in: --login-token - (the token on standard input), {LOGIN_TOKEN_VAR}, --browser, or --legacy --username USER"
    )
}

/// Where a personal login token comes from, safest first.
const LOGIN_TOKEN_VAR: &str = "FJORDSYNC_LOGIN_TOKEN";

/// The login token: `--login-token -` reads it from standard input, a
/// literal `--login-token TOKEN` still works but warns (the process list
/// shows every argument to every user of the machine), and without the flag
/// `FJORDSYNC_LOGIN_TOKEN` is used unless another way was chosen.
fn login_token(a: &SignInArgs) -> anyhow::Result<Option<String>> {
    match a.login_token.as_deref() {
        Some("-") => Ok(Some(read_line_stdin("personal login token")?)),
        Some(literal) => {
            eprintln!(
                "warning: a login token on the command line can be seen by other users in the process list; \
                 next time pipe it in with `--login-token -` or set {LOGIN_TOKEN_VAR}"
            );
            Ok(Some(literal.to_string()))
        }
        None if a.browser || a.legacy => Ok(None),
        None => match std::env::var(LOGIN_TOKEN_VAR) {
            Ok(t) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
            Ok(_) => bail!("{LOGIN_TOKEN_VAR} is set but empty"),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => bail!("{LOGIN_TOKEN_VAR} is not valid text"),
        },
    }
}

fn read_line_stdin(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).with_context(|| format!("reading the {what} from stdin"))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        bail!("no {what} on stdin");
    }
    Ok(line)
}

fn prompt_line(prompt: &str) -> anyhow::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    read_line_stdin("answer")
}

fn prompt_secret(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() { Ok(rpassword::prompt_password(prompt)?) } else { prompt_line(prompt) }
}
