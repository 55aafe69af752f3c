//! The tray icon, its menu, and desktop notifications.
//!
//! Closing the window only hides it; the tray keeps the app (and its
//! scheduler) running and is the way back (Open) or out (Quit). The icon
//! shows idle / syncing / error / paused with a coloured badge drawn on the
//! app icon; the tooltip (and, because Linux tray hosts show no tooltips,
//! the menu) shows the quota of each storage; the menu lists the last result
//! of each task and every mount (a click opens a mounted folder); Quit asks
//! first (in the window) while mounted folders have files to upload. [`watch`] keeps all of it current from the Api's event
//! broadcast and sends notifications for failed and long runs.
//!
//! What to show is decided by pure functions ([`view`], [`notification`],
//! [`badge`]) that the tests cover; the rest is plumbing. The words, in the
//! window's five languages, are in [`lang`].

use std::sync::Arc;
use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use fjordsync_api::dto::{AppEvent, MountDto, MountState, QuotaDto, RunDto, TaskDto, WatchStateDto};
use fjordsync_api::settings::SettingsDto;
use fjordsync_api::{Api, BAD_OUTCOMES};

pub mod lang;
pub use lang::Lang;

/// The tray's id.
pub const TRAY_ID: &str = "main-tray";

/// How long a run must take before its end is worth a notification.
pub const LONG_RUN_MS: i64 = 60_000;
/// How many "last results" the menu lists.
const LAST_SHOWN: usize = 5;
/// The quota in the tooltip is refreshed at least this often.
const QUOTA_EVERY: Duration = Duration::from_secs(600);
/// Ages in the menu ("5 min ago") are refreshed this often.
const AGE_EVERY: Duration = Duration::from_secs(60);

/// What the icon says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    /// Nothing running, nothing wrong.
    Idle,
    /// A run is going.
    Syncing,
    /// A task's last run failed (or could not start).
    Error,
    /// A task's last run was refused by a safety check (nothing changed):
    /// not green, but not a failure either; the user has a decision to make.
    Refused,
    /// A two-way task has conflicts to resolve: two versions wait for the
    /// user's choice (not green, not a failure; the refused colour).
    Conflicts,
    /// Files of a two-way task could not sync and wait, listed (not green,
    /// not a failure of the task: the rest syncs; the refused colour).
    KeptAside,
    /// A continuously synced task cannot sync now (offline, the service
    /// down) and tries again by itself: the refused colour.
    Retrying,
    /// Pause all is on.
    Paused,
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub state: TrayState,
    pub tooltip: String,
    /// One line per storage: `demo: 1.4 GiB of 5 GiB`.
    pub quota: Vec<String>,
    /// The last result of each task, newest first.
    pub last: Vec<String>,
    /// One line per mount (its id, the line, whether a click opens it).
    pub mounts: Vec<(String, String, bool)>,
    pub paused: bool,
    pub lang: Lang,
}

/// 1536 → "1.5 KiB" ("1,5 KiB" in the Nordic languages; binary units, like the UI).
pub fn bytes(n: u64, lang: Lang) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let (mut v, mut u) = (n as f64, 0);
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    let number = if u == 0 || v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{} {}", number.replace('.', &lang.words().decimal.to_string()), UNITS[u])
}

/// "just now", "5 min ago", "3 h ago", "2 d ago" (abbreviated units: no plurals).
pub fn age(ms: i64, lang: Lang) -> String {
    let w = lang.words();
    let s = ms.max(0) / 1000;
    let (text, n) = match s {
        0..60 => return w.just_now.to_string(),
        60..3600 => (w.minutes_ago, s / 60),
        3600..86_400 => (w.hours_ago, s / 3600),
        _ => (w.days_ago, s / 86_400),
    };
    lang::fill(text, &[("n", &n.to_string())])
}

fn outcome(o: &str, lang: Lang) -> &'static str {
    let w = lang.words();
    match o {
        "ok" => w.done,
        "failed" => w.failures,
        "refused" => w.refused,
        "cancelled" => w.stopped,
        "running" => w.running,
        _ => w.interrupted,
    }
}

/// A mount's line: its name and what it is doing.
fn mount_line(m: &MountDto, lang: Lang) -> String {
    let w = lang.words();
    let name = &m.form.name;
    let named = |text: &str| lang::fill(text, &[("name", name)]);
    let counted = |texts: [&str; 2], n: u32| lang.count(texts, u64::from(n), &[("name", name)]);
    match m.status.as_ref() {
        Some(s) => match s.state {
            MountState::Mounted if s.pending_uploads > 0 => counted(w.mount_uploading, s.pending_uploads),
            MountState::Mounted if s.problem.is_some() => named(w.mount_problem),
            MountState::Mounted => named(w.mount_mounted),
            MountState::Starting => named(w.mount_starting),
            MountState::Retrying => named(w.mount_retrying),
            MountState::Stopping => counted(w.mount_stopping, s.pending_uploads),
            MountState::Stopped if s.problem.is_some() && m.mounted => named(w.mount_problem),
            MountState::Stopped => named(w.mount_stopped),
        },
        // Wanted, but kept by another Fjordsync program (the daemon).
        None if m.mounted => named(w.mount_elsewhere),
        None => named(w.mount_stopped),
    }
}

/// What the tray shows for these tasks, runs, pause state and quotas.
#[allow(clippy::too_many_arguments)]
pub fn view(
    tasks: &[TaskDto],
    mounts: &[MountDto],
    running: &[String],
    paused: bool,
    quotas: &[(String, Option<QuotaDto>)],
    now_ms: i64,
    lang: Lang,
) -> TrayView {
    let conflicts: u64 = tasks.iter().map(|t| u64::from(t.conflicts)).sum();
    let kept_aside: u64 = tasks.iter().map(|t| u64::from(t.kept_aside)).sum();
    let last_is = |bad: fn(&str) -> bool| tasks.iter().any(|t| t.last_run.as_ref().is_some_and(|r| bad(&r.outcome)));
    let watch_is = |s: WatchStateDto| tasks.iter().any(|t| t.watch.as_ref().is_some_and(|w| w.state == s));
    let mount_is = |s: MountState| {
        mounts.iter().any(|m| m.mounted && m.status.as_ref().is_some_and(|st| st.state == s && st.problem.is_some()))
    };
    let mount_failed = mount_is(MountState::Stopped) || mount_is(MountState::Mounted);
    let state = if !running.is_empty() {
        TrayState::Syncing
    } else if last_is(|o| o != "refused" && BAD_OUTCOMES.contains(&o))
        || watch_is(WatchStateDto::Stopped)
        || mount_failed
    {
        TrayState::Error
    } else if watch_is(WatchStateDto::Retrying) || mount_is(MountState::Retrying) {
        TrayState::Retrying
    } else if conflicts > 0 {
        TrayState::Conflicts
    } else if kept_aside > 0 {
        TrayState::KeptAside
    } else if last_is(|o| o == "refused") {
        TrayState::Refused
    } else if paused {
        TrayState::Paused
    } else {
        TrayState::Idle
    };
    let quota: Vec<String> = quotas
        .iter()
        .map(|(name, q)| match q {
            Some(QuotaDto { used, total: Some(total), .. }) => {
                let of =
                    lang::fill(lang.words().used_of, &[("used", &bytes(*used, lang)), ("total", &bytes(*total, lang))]);
                format!("{name}: {of}")
            }
            Some(QuotaDto { used, total: None, .. }) => format!("{name}: {}", bytes(*used, lang)),
            None => format!("{name}: —"),
        })
        .collect();
    let mut done: Vec<(&TaskDto, &RunDto)> = tasks.iter().filter_map(|t| Some((t, t.last_run.as_ref()?))).collect();
    done.sort_by_key(|(_, r)| std::cmp::Reverse(r.ended_ms.unwrap_or(r.started_ms)));
    let last = done
        .iter()
        .take(LAST_SHOWN)
        .map(|(t, r)| {
            let when = age(now_ms - r.ended_ms.unwrap_or(r.started_ms), lang);
            format!("{}: {} · {when}", t.name, outcome(&r.outcome, lang))
        })
        .collect();
    let mounts = mounts
        .iter()
        .map(|m| {
            let open = m.status.as_ref().is_some_and(|s| s.state == MountState::Mounted);
            (m.form.id.clone(), mount_line(m, lang), open)
        })
        .collect();
    let w = lang.words();
    let status = match state {
        TrayState::Idle => w.up_to_date.to_string(),
        TrayState::Syncing => w.syncing.to_string(),
        TrayState::Error => w.task_failed.to_string(),
        TrayState::Refused => w.task_refused.to_string(),
        TrayState::Retrying => w.retrying.to_string(),
        TrayState::Conflicts => lang.count(w.conflicts, conflicts, &[]),
        TrayState::KeptAside => lang.count(w.kept_aside, kept_aside, &[]),
        TrayState::Paused => w.paused.to_string(),
    };
    let mut tooltip = format!("Fjordsync: {status}");
    for q in &quota {
        tooltip.push('\n');
        tooltip.push_str(q);
    }
    TrayView { state, tooltip, quota, last, mounts, paused, lang }
}

/// Title and body of the notification for a finished run, if it deserves
/// one: it failed (or could not start), or it took longer than a minute.
pub fn notification(name: &str, run: Option<&RunDto>, error: Option<&str>, lang: Lang) -> Option<(String, String)> {
    let w = lang.words();
    let named = |text: &str| lang::fill(text, &[("name", name)]);
    if let Some(e) = error {
        return Some((named(w.could_not_run), e.to_string()));
    }
    let run = run?;
    let c = &run.counters;
    if BAD_OUTCOMES.contains(&run.outcome.as_str()) {
        return Some(match run.outcome.as_str() {
            // A refused run did not start: no file failed, nothing changed.
            "refused" => (named(w.refused_title), w.nothing_changed.to_string()),
            _ if c.failed > 0 => {
                (named(w.failed_title), format!("{} {}", lang.count(w.files_failed, c.failed, &[]), w.see_log))
            }
            _ => (named(w.failed_title), w.see_log.to_string()),
        });
    }
    let took = run.ended_ms? - run.started_ms;
    if run.outcome == "ok" && took > LONG_RUN_MS {
        let files = c.uploaded + c.downloaded + c.updated + c.copied + c.moved;
        let mins = (took / 60_000).to_string();
        let body = lang.count(w.finished_body, files, &[("bytes", &bytes(c.bytes, lang)), ("mins", &mins)]);
        return Some((named(w.finished_title), body));
    }
    None
}

/// The icon with a round badge of `color` in its lower right corner (with a
/// white ring so it reads on dark and light panels). RGBA, row-major.
pub fn badge(rgba: &[u8], width: u32, height: u32, color: [u8; 3]) -> Vec<u8> {
    let mut out = rgba.to_vec();
    let size = width.min(height) as f32;
    let r = size * 0.24;
    let (cx, cy) = (width as f32 - r - 0.5, height as f32 - r - 0.5);
    for y in 0..height {
        for x in 0..width {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let px = match d {
                d if d <= r * 0.78 => [color[0], color[1], color[2], 255],
                d if d <= r => [255, 255, 255, 255],
                _ => continue,
            };
            let i = ((y * width + x) * 4) as usize;
            out[i..i + 4].copy_from_slice(&px);
        }
    }
    out
}

/// The five icons, made once from the app icon.
pub struct TrayIcons {
    idle: Image<'static>,
    syncing: Image<'static>,
    error: Image<'static>,
    refused: Image<'static>,
    paused: Image<'static>,
}

impl TrayIcons {
    fn new(base: &Image<'_>) -> TrayIcons {
        let (w, h) = (base.width(), base.height());
        let make = |c: [u8; 3]| Image::new_owned(badge(base.rgba(), w, h, c), w, h);
        TrayIcons {
            idle: Image::new_owned(base.rgba().to_vec(), w, h),
            syncing: make([31, 111, 197]),
            error: make([194, 59, 48]),
            refused: make([214, 137, 16]),
            paused: make([128, 128, 128]),
        }
    }

    fn get(&self, s: TrayState) -> Image<'static> {
        match s {
            TrayState::Idle => self.idle.clone(),
            TrayState::Syncing => self.syncing.clone(),
            TrayState::Error => self.error.clone(),
            TrayState::Refused | TrayState::Conflicts | TrayState::KeptAside | TrayState::Retrying => {
                self.refused.clone()
            }
            TrayState::Paused => self.paused.clone(),
        }
    }
}

fn menu<R: Runtime>(app: &AppHandle<R>, v: &TrayView) -> tauri::Result<Menu<R>> {
    let w = v.lang.words();
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(app, "open", w.open, true, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "sync-all", w.sync_all, true, None::<&str>)?)?;
    let pause = if v.paused { w.resume_all } else { w.pause_all };
    menu.append(&MenuItem::with_id(app, "pause", pause, true, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    if v.last.is_empty() {
        menu.append(&MenuItem::with_id(app, "last", w.no_results, false, None::<&str>)?)?;
    }
    for (i, line) in v.last.iter().enumerate() {
        menu.append(&MenuItem::with_id(app, format!("last-{i}"), line, false, None::<&str>)?)?;
    }
    if !v.mounts.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (id, line, open) in &v.mounts {
            menu.append(&MenuItem::with_id(app, format!("mount-{id}"), line, *open, None::<&str>)?)?;
        }
    }
    if !v.quota.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (i, line) in v.quota.iter().enumerate() {
            menu.append(&MenuItem::with_id(app, format!("quota-{i}"), line, false, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", w.quit, true, None::<&str>)?)?;
    Ok(menu)
}

/// Builds the tray icon with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let first = view(&[], &[], &[], false, &[], 0, Lang::from_setting(""));
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Fjordsync")
        .menu(&menu(app, &first)?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            // Quits at once unless mounted folders have files to upload:
            // then the window asks (wait, quit now, or stay).
            "quit" => {
                let api = app.state::<Arc<Api>>().inner().clone();
                if !api.request_quit() {
                    show_main(app);
                }
            }
            id if id.starts_with("mount-") => {
                let api = app.state::<Arc<Api>>().inner().clone();
                let id = id.trim_start_matches("mount-").to_string();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = api.open_mount(id).await {
                        tracing::warn!("open mount: {}", e.message);
                    }
                });
            }
            "sync-all" => {
                let api = app.state::<Arc<Api>>().inner().clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = api.sync_all_now().await {
                        tracing::warn!("sync all: {}", e.message);
                    }
                });
            }
            "pause" => {
                let api = app.state::<Arc<Api>>().inner().clone();
                tauri::async_runtime::spawn(async move {
                    let paused = api.get_settings().await.map(|s| s.paused).unwrap_or(false);
                    let r = if paused { api.resume_all().await } else { api.pause_all().await };
                    if let Err(e) = r {
                        tracing::warn!("pause: {}", e.message);
                    }
                });
            }
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        app.manage(TrayIcons::new(icon));
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

async fn quotas(api: &Api) -> Vec<(String, Option<QuotaDto>)> {
    let mut out = Vec::new();
    for s in api.list_storages().await.unwrap_or_default() {
        let q = api.storage_quota(s.name.clone()).await.ok();
        out.push((s.name, q));
    }
    out
}

/// Redraws icon, tooltip and menu with `settings` (pause, language), which
/// the caller reads once per event.
async fn refresh<R: Runtime>(
    app: &AppHandle<R>,
    api: &Api,
    settings: &SettingsDto,
    quotas: &[(String, Option<QuotaDto>)],
) {
    let tasks = api.list_tasks().await.unwrap_or_default();
    let mounts = api.list_mounts().await.unwrap_or_default();
    let running = api.running_tasks().await.unwrap_or_default();
    let now = jiff::Timestamp::now().as_millisecond();
    let v = view(&tasks, &mounts, &running, settings.paused, quotas, now, Lang::from_setting(&settings.language));
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    if let Some(icons) = app.try_state::<TrayIcons>() {
        let _ = tray.set_icon(Some(icons.get(v.state)));
    }
    let _ = tray.set_tooltip(Some(&v.tooltip));
    match menu(app, &v) {
        Ok(m) => drop(tray.set_menu(Some(m))),
        Err(e) => tracing::warn!("tray menu: {e}"),
    }
}

/// Keeps the tray current and sends notifications, driven by the Api's
/// events (plus a minute tick for the ages); ends at shutdown.
pub async fn watch<R: Runtime>(app: AppHandle<R>, api: Arc<Api>) {
    use tokio::sync::broadcast::error::RecvError;
    let stopping = api.stopping();
    let mut events = api.subscribe();
    let mut q = quotas(&api).await;
    let mut q_at = tokio::time::Instant::now();
    refresh(&app, &api, &api.get_settings().await.unwrap_or_default(), &q).await;
    loop {
        let ev = tokio::select! {
            _ = stopping.cancelled() => return,
            e = events.recv() => e,
            _ = tokio::time::sleep(AGE_EVERY) => Err(RecvError::Lagged(0)),
        };
        match ev {
            Err(RecvError::Closed) => return,
            // Progress ticks come ten times a second: not a tray matter.
            Ok(AppEvent::TaskProgress { .. }) | Ok(AppEvent::SignInUrl { .. }) => continue,
            _ => {}
        }
        // Read once: a finished run's notification and the redraw share it.
        let s = api.get_settings().await.unwrap_or_default();
        match ev {
            Ok(AppEvent::StorageChanged { .. }) | Ok(AppEvent::StoragesChanged) => {
                q = quotas(&api).await;
                q_at = tokio::time::Instant::now();
            }
            Ok(AppEvent::TaskFinished { name, run, error, .. }) => {
                if s.notifications
                    && let Some((title, body)) =
                        notification(&name, run.as_deref(), error.as_deref(), Lang::from_setting(&s.language))
                {
                    use tauri_plugin_notification::NotificationExt;
                    if let Err(e) = app.notification().builder().title(title).body(body).show() {
                        tracing::warn!("notification: {e}");
                    }
                }
            }
            _ => {}
        }
        if q_at.elapsed() > QUOTA_EVERY {
            q = quotas(&api).await;
            q_at = tokio::time::Instant::now();
        }
        refresh(&app, &api, &s, &q).await;
    }
}

/// Shows, unminimises and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjordsync_api::dto::CountersDto;
    use fjordsync_api::dto::WatchDto;

    fn run(outcome: &str, started_ms: i64, ended_ms: i64) -> RunDto {
        RunDto {
            id: 1,
            kind: "sync".into(),
            source: String::new(),
            destination: String::new(),
            started_ms,
            ended_ms: Some(ended_ms),
            outcome: outcome.into(),
            counters: CountersDto { uploaded: 3, failed: 2, bytes: 2048, ..Default::default() },
            parent: None,
            refusal: None,
            warning: None,
            stopped: None,
        }
    }

    fn task(name: &str, last: Option<RunDto>) -> TaskDto {
        TaskDto {
            id: name.into(),
            name: name.into(),
            kind: "sync".into(),
            direction: "upload".into(),
            local: "/a".into(),
            storage: "demo".into(),
            remote: String::new(),
            include: vec![],
            exclude: vec![],
            last_run: last,
            schedule: None,
            schedule_since_ms: None,
            next_run_ms: None,
            backup: None,
            no_versions: false,
            paused: false,
            conflicts: 0,
            kept_aside: 0,
            watch: None,
        }
    }

    fn quota(used: u64, total: Option<u64>) -> QuotaDto {
        QuotaDto { used, total, write_locked: false, read_locked: false, devices: vec![] }
    }

    #[test]
    fn the_icon_follows_running_failing_and_paused() {
        let ok = [task("A", Some(run("ok", 0, 1000)))];
        let bad = [task("A", Some(run("ok", 0, 1000))), task("B", Some(run("failed", 0, 2000)))];
        let st = |t: &[TaskDto], running: &[String], paused| view(t, &[], running, paused, &[], 0, Lang::En).state;
        assert_eq!(st(&ok, &[], false), TrayState::Idle);
        assert_eq!(st(&ok, &[], true), TrayState::Paused);
        assert_eq!(st(&bad, &[], true), TrayState::Error);
        assert_eq!(st(&bad, &["A".into()], false), TrayState::Syncing);
        // A refused run is not a failure (nothing changed), and not green either.
        let refused = [task("A", Some(run("ok", 0, 1000))), task("B", Some(run("refused", 0, 2000)))];
        assert_eq!(st(&refused, &[], false), TrayState::Refused);
        // Open conflicts of a two-way task: not green either, and counted in the tooltip.
        let mut two_way = task("C", Some(run("ok", 0, 3000)));
        two_way.conflicts = 3;
        assert_eq!(st(&[two_way.clone()], &[], false), TrayState::Conflicts);
        assert_eq!(
            view(&[two_way.clone()], &[], &[], false, &[], 0, Lang::En).tooltip,
            "Fjordsync: 3 conflicts to resolve"
        );
        // Files of a two-way task that could not sync: not green, counted.
        let mut aside = two_way.clone();
        aside.conflicts = 0;
        aside.kept_aside = 2;
        assert_eq!(st(&[aside.clone()], &[], false), TrayState::KeptAside);
        assert_eq!(view(&[aside], &[], &[], false, &[], 0, Lang::En).tooltip, "Fjordsync: 2 files could not sync");
        // A continuous task that cannot sync now: amber, saying it tries again; one that stopped: red.
        let mut watched = two_way.clone();
        watched.conflicts = 0;
        watched.watch = Some(WatchDto {
            state: WatchStateDto::Retrying,
            since_ms: 0,
            retry_at_ms: Some(60_000),
            error: None,
            notice: None,
        });
        assert_eq!(st(&[watched.clone()], &[], false), TrayState::Retrying);
        assert_eq!(
            view(&[watched.clone()], &[], &[], false, &[], 0, Lang::En).tooltip,
            "Fjordsync: could not sync, trying again by itself"
        );
        watched.watch.as_mut().unwrap().state = WatchStateDto::Stopped;
        assert_eq!(st(&[watched.clone()], &[], false), TrayState::Error);
        watched.watch.as_mut().unwrap().state = WatchStateDto::Idle;
        assert_eq!(st(&[watched], &[], false), TrayState::Idle);
        assert_eq!(
            view(&[two_way], &[], &[], false, &[], 0, Lang::Fi).tooltip,
            "Fjordsync: 3 ratkaistavaa ristiriitaa"
        );
        let v = view(&refused, &[], &[], false, &[], 0, Lang::En);
        assert_eq!(v.tooltip, "Fjordsync: a run was refused, nothing changed");
        assert_eq!(
            view(&refused, &[], &[], false, &[], 0, Lang::Nb).tooltip,
            "Fjordsync: en kjøring ble avvist, ingenting ble endret"
        );
        let both = [task("A", Some(run("failed", 0, 1000))), task("B", Some(run("refused", 0, 2000)))];
        assert_eq!(st(&both, &[], false), TrayState::Error, "a failure outranks a refusal");
    }

    fn mount(name: &str, mounted: bool, state: Option<MountState>, pending: u32, problem: bool) -> MountDto {
        use fjordsync_api::dto::{MountAccess, MountFormDto, MountProblem, MountStatus};
        MountDto {
            form: MountFormDto {
                id: name.to_lowercase(),
                name: name.into(),
                storage: "demo".into(),
                folder: "Photos".into(),
                access: MountAccess::FileManager { port: None },
                cache_max_size: None,
            },
            mounted,
            status: state.map(|state| MountStatus {
                pending_uploads: pending,
                problem: problem.then(|| MountProblem { code: "no_folder".into(), message: "gone".into() }),
                ..MountStatus::new(state)
            }),
            webdav: None,
        }
    }

    #[test]
    fn mounts_are_listed_and_a_broken_one_is_not_green() {
        let v = |m: &[MountDto]| view(&[], m, &[], false, &[], 0, Lang::En);
        let fine = [
            mount("Photos", true, Some(MountState::Mounted), 3, false),
            mount("Docs", true, Some(MountState::Mounted), 0, false),
            mount("Old", false, Some(MountState::Stopped), 0, false),
            mount("Far", true, None, 0, false),
        ];
        let shown = v(&fine);
        assert_eq!(shown.state, TrayState::Idle);
        let lines: Vec<_> = shown.mounts.iter().map(|(_, l, open)| (l.as_str(), *open)).collect();
        assert_eq!(
            lines,
            [
                ("Photos: mounted, 3 files to upload", true),
                ("Docs: mounted, everything uploaded", true),
                ("Old: not mounted", false),
                ("Far: mounted by another Fjordsync program", false),
            ]
        );
        // Wanted but stopped by a problem: red; trying again: amber; unmounted on purpose: not a problem.
        assert_eq!(v(&[mount("Photos", true, Some(MountState::Stopped), 0, true)]).state, TrayState::Error);
        assert_eq!(v(&[mount("Photos", true, Some(MountState::Retrying), 0, true)]).state, TrayState::Retrying);
        assert_eq!(v(&[mount("Photos", false, Some(MountState::Stopped), 0, true)]).state, TrayState::Idle);
        let unmounting = v(&[mount("Photos", false, Some(MountState::Stopping), 1, false)]);
        assert_eq!(unmounting.mounts[0].1, "Photos: unmounting, 1 upload left");
        let fi = view(&[], &[mount("Kuvat", true, Some(MountState::Mounted), 1, false)], &[], false, &[], 0, Lang::Fi);
        assert_eq!(fi.mounts[0].1, "Kuvat: liitetty, 1 tiedosto odottaa lähetystä");
    }

    #[test]
    fn tooltip_has_quota_and_menu_has_last_results_newest_first() {
        let tasks = [
            task("Old", Some(run("ok", 0, 60_000))),
            task("New", Some(run("failed", 0, 3_600_000))),
            task("Never", None),
        ];
        let q = [("demo".to_string(), Some(quota(1536 * 1024 * 1024, Some(5 << 30)))), ("work".into(), None)];
        let v = view(&tasks, &[], &[], false, &q, 3 * 3_600_000, Lang::En);
        assert_eq!(v.tooltip, "Fjordsync: a task failed\ndemo: 1.5 GiB of 5.0 GiB\nwork: —");
        assert_eq!(v.last, vec!["New: failures · 2 h ago".to_string(), "Old: done · 2 h ago".to_string()]);
        let nb = view(&tasks, &[], &[], false, &q, 3 * 3_600_000, Lang::Nb);
        assert_eq!(nb.last[0], "New: feil · for 2 t siden");
        assert_eq!(nb.quota[0], "demo: 1,5 GiB av 5,0 GiB");
    }

    #[test]
    fn the_tray_speaks_each_language() {
        let tasks = [task("Kuvat", Some(run("failed", 0, 3_600_000)))];
        let q = [("demo".to_string(), Some(quota(1536 * 1024 * 1024, Some(5 << 30))))];
        let line = |l| {
            let v = view(&tasks, &[], &[], false, &q, 3 * 3_600_000, l);
            format!("{} | {}", v.tooltip.replace('\n', " | "), v.last[0])
        };
        assert_eq!(
            line(Lang::Fi),
            "Fjordsync: tehtävä epäonnistui | demo: 1,5 GiB / 5,0 GiB | Kuvat: virheitä · 2 t sitten"
        );
        assert_eq!(
            line(Lang::Sv),
            "Fjordsync: en uppgift misslyckades | demo: 1,5 GiB av 5,0 GiB | Kuvat: fel · för 2 tim sedan"
        );
        assert_eq!(
            line(Lang::Da),
            "Fjordsync: en opgave mislykkedes | demo: 1,5 GiB af 5,0 GiB | Kuvat: fejl · for 2 t. siden"
        );
        assert_eq!(age(26 * 3_600_000, Lang::Fi), "1 pv sitten");
        assert_eq!(age(5 * 60_000, Lang::Sv), "för 5 min sedan");
    }

    #[test]
    fn notifications_for_failures_and_long_runs_only() {
        let n = |r: &RunDto| notification("Photos", Some(r), None, Lang::En);
        assert_eq!(n(&run("failed", 0, 1000)).unwrap().0, "Failed: “Photos”");
        assert_eq!(n(&run("refused", 0, 1000)).unwrap().0, "Refused: “Photos”");
        assert_eq!(n(&run("ok", 0, 1000)), None, "short and fine: quiet");
        assert_eq!(n(&run("cancelled", 0, 120_000)), None, "the user stopped it");
        let long = n(&run("ok", 0, 125_000)).unwrap();
        assert_eq!(long, ("Finished: “Photos”".into(), "3 files, 2.0 KiB in 2 min.".into()));
        assert!(notification("Photos", None, Some("reconnect needed"), Lang::Nb).unwrap().0.starts_with("Kunne ikke"));
    }

    #[test]
    fn notification_bodies_say_what_happened_with_the_right_plural() {
        let body = |outcome: &str, failed: u64, lang| {
            let mut r = run(outcome, 0, 1000);
            r.counters.failed = failed;
            notification("Kuvat", Some(&r), None, lang).unwrap().1
        };
        assert_eq!(body("failed", 2, Lang::En), "2 files failed. Open Fjordsync to see the log.");
        assert_eq!(body("failed", 1, Lang::En), "1 file failed. Open Fjordsync to see the log.");
        assert_eq!(body("failed", 1, Lang::Fi), "1 tiedosto epäonnistui. Avaa Fjordsync, niin näet lokin.");
        assert_eq!(body("failed", 21, Lang::Fi), "21 tiedostoa epäonnistui. Avaa Fjordsync, niin näet lokin.");
        assert_eq!(body("crashed", 0, Lang::Da), "Åbn Fjordsync for at se loggen.", "no file count when none failed");
        assert_eq!(body("refused", 0, Lang::Sv), "Inget ändrades. Öppna Fjordsync för att se varför.");
        let fi = notification("Kuvat", Some(&run("ok", 0, 125_000)), None, Lang::Fi).unwrap();
        assert_eq!(fi, ("Valmis: ”Kuvat”".into(), "3 tiedostoa, 2,0 KiB ajassa 2 min.".into()));
        let sv = notification("Bilder", None, Some("…"), Lang::Sv).unwrap().0;
        assert_eq!(sv, "Kunde inte köra ”Bilder”");
    }

    #[test]
    fn badge_paints_the_corner_and_leaves_the_rest() {
        let (w, h) = (32, 32);
        let base = vec![10u8; (w * h * 4) as usize];
        let out = badge(&base, w, h, [200, 0, 0]);
        let px = |x: u32, y: u32| &out[((y * w + x) * 4) as usize..((y * w + x) * 4 + 4) as usize];
        assert_eq!(px(0, 0), &[10, 10, 10, 10]);
        assert_eq!(px(w - 8, h - 8), &[200, 0, 0, 255]);
        assert_eq!(bytes(0, Lang::En), "0 B");
        assert_eq!(bytes(150 * 1024, Lang::En), "150 KiB");
        assert_eq!(bytes(1536, Lang::Fi), "1,5 KiB");
        assert_eq!(age(30_000, Lang::En), "just now");
    }
}
