//! The tray's and the notifications' words, in the app's five languages.
//!
//! The window's words live in the UI's dictionaries (`ui/src/lib/i18n`). The
//! tray and the notifications are drawn here, in Rust, also while the window
//! is closed or was never opened (a start at login), so their few words are
//! kept here: one table per language, chosen by the same setting and the
//! same codes as the window's. The words both show (the menu's "Sync all
//! now", "Pause all", "Resume all") are compared with the UI's dictionaries
//! by a test, so the two cannot drift apart.

/// A language of the tray and the notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Nb,
    Sv,
    Da,
    Fi,
}

impl Lang {
    /// Every language, as the window offers them.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Nb, Lang::Sv, Lang::Da, Lang::Fi];

    /// The language setting (`en`, `nb`, `sv`, `da`, `fi`); `""` follows the
    /// system, read the way the window's web view reads it.
    pub fn from_setting(setting: &str) -> Lang {
        if setting.is_empty() { Lang::detect(system_languages()) } else { Lang::detect([setting]) }
    }

    /// The first of `languages` (codes like `sv-FI` or `nn_NO.UTF-8`) that
    /// the app speaks; English when none. Norwegian in any of its codes (nb,
    /// no, and nynorsk nn, which has no dictionary) reads bokmål.
    pub fn detect<S: AsRef<str>>(languages: impl IntoIterator<Item = S>) -> Lang {
        languages.into_iter().find_map(|l| Lang::from_code(l.as_ref())).unwrap_or(Lang::En)
    }

    fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_', '.', '@']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "sv" => Some(Lang::Sv),
            "da" => Some(Lang::Da),
            "fi" => Some(Lang::Fi),
            _ => None,
        }
    }

    /// The code the settings and the UI's dictionaries use.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::Fi => "fi",
        }
    }

    pub(crate) fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Nb => &NB,
            Lang::Sv => &SV,
            Lang::Da => &DA,
            Lang::Fi => &FI,
        }
    }

    /// Which form (0: one, 1: other) a count of `n` takes: each language's
    /// CLDR cardinal rule, for whole numbers (the tray counts files). The
    /// rules are en, sv, fi "one: i = 1 and v = 0", nb "one: n = 1", da "one:
    /// n = 1 or t != 0 and i = 0,1"; for a whole number each means n = 1.
    /// The window takes the same rules from Intl.PluralRules; both are
    /// tested on 0, 1, 2, 5 and 21. A language with more forms (Polish
    /// "few") would get its own arm here and a third text in [`Words`].
    pub fn plural(self, n: u64) -> usize {
        match self {
            Lang::En | Lang::Nb | Lang::Sv | Lang::Da | Lang::Fi => usize::from(n != 1),
        }
    }

    /// `counted[form]` for `n`, with `{n}` and `vars` filled in.
    pub(crate) fn count(self, counted: [&str; 2], n: u64, vars: &[(&str, &str)]) -> String {
        let text = fill(counted[self.plural(n)], &[("n", &n.to_string())]);
        fill(&text, vars)
    }
}

/// The system's languages in the order gettext (and so the web view) reads
/// them: the `LANGUAGE` list, then the first set of `LC_ALL`, `LC_MESSAGES`
/// and `LANG`; `LANGUAGE` counts only when that locale is not `C`.
fn system_languages() -> Vec<String> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    let locale = var("LC_ALL").or_else(|| var("LC_MESSAGES")).or_else(|| var("LANG"));
    let plain = locale.as_deref().is_none_or(|l| l == "C" || l == "POSIX" || l.starts_with("C."));
    let mut out: Vec<String> = Vec::new();
    if !plain && let Some(list) = var("LANGUAGE") {
        out.extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
    }
    out.extend(locale);
    out
}

/// `template` with each `{key}` of `vars` filled in (the UI's placeholder
/// syntax); unknown placeholders stay visible.
pub(crate) fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

/// The words of one language. `{name}`-style placeholders; counted texts
/// are `[one, other]`.
pub(crate) struct Words {
    /// The decimal sign in sizes ("1.5 GiB", "1,5 GiB").
    pub decimal: char,
    pub just_now: &'static str,
    pub minutes_ago: &'static str,
    pub hours_ago: &'static str,
    pub days_ago: &'static str,
    /// `{used}` of `{total}`, for the quota.
    pub used_of: &'static str,
    pub done: &'static str,
    pub failures: &'static str,
    pub refused: &'static str,
    pub stopped: &'static str,
    pub running: &'static str,
    pub interrupted: &'static str,
    pub up_to_date: &'static str,
    pub syncing: &'static str,
    pub task_failed: &'static str,
    pub task_refused: &'static str,
    /// A continuously synced task cannot sync now and tries again.
    pub retrying: &'static str,
    /// Open conflicts of two-way tasks, counted.
    pub conflicts: [&'static str; 2],
    /// Files of two-way tasks kept aside after errors, counted.
    pub kept_aside: [&'static str; 2],
    pub paused: &'static str,
    pub could_not_run: &'static str,
    pub failed_title: &'static str,
    pub refused_title: &'static str,
    pub finished_title: &'static str,
    pub files_failed: [&'static str; 2],
    pub see_log: &'static str,
    pub nothing_changed: &'static str,
    pub finished_body: [&'static str; 2],
    pub open: &'static str,
    pub sync_all: &'static str,
    pub pause_all: &'static str,
    pub resume_all: &'static str,
    pub no_results: &'static str,
    pub quit: &'static str,
    pub mount_mounted: &'static str,
    pub mount_uploading: [&'static str; 2],
    pub mount_problem: &'static str,
    pub mount_starting: &'static str,
    pub mount_retrying: &'static str,
    pub mount_stopping: [&'static str; 2],
    pub mount_stopped: &'static str,
    pub mount_elsewhere: &'static str,
}

const EN: Words = Words {
    decimal: '.',
    just_now: "just now",
    minutes_ago: "{n} min ago",
    hours_ago: "{n} h ago",
    days_ago: "{n} d ago",
    used_of: "{used} of {total}",
    done: "done",
    failures: "failures",
    refused: "refused",
    stopped: "stopped",
    running: "running",
    interrupted: "interrupted",
    up_to_date: "up to date",
    syncing: "syncing…",
    task_failed: "a task failed",
    task_refused: "a run was refused, nothing changed",
    retrying: "could not sync, trying again by itself",
    conflicts: ["{n} conflict to resolve", "{n} conflicts to resolve"],
    kept_aside: ["{n} file could not sync", "{n} files could not sync"],
    paused: "paused",
    could_not_run: "Could not run “{name}”",
    failed_title: "Failed: “{name}”",
    refused_title: "Refused: “{name}”",
    finished_title: "Finished: “{name}”",
    files_failed: ["{n} file failed.", "{n} files failed."],
    see_log: "Open Fjordsync to see the log.",
    nothing_changed: "Nothing was changed. Open Fjordsync to see why.",
    finished_body: ["{n} file, {bytes} in {mins} min.", "{n} files, {bytes} in {mins} min."],
    open: "Open Fjordsync",
    sync_all: "Sync all now",
    pause_all: "Pause all",
    resume_all: "Resume all",
    no_results: "No sync results yet",
    quit: "Quit Fjordsync",
    mount_mounted: "{name}: mounted, everything uploaded",
    mount_uploading: ["{name}: mounted, {n} file to upload", "{name}: mounted, {n} files to upload"],
    mount_problem: "{name}: a file could not be uploaded",
    mount_starting: "{name}: mounting…",
    mount_retrying: "{name}: could not mount, trying again by itself",
    mount_stopping: ["{name}: unmounting, {n} upload left", "{name}: unmounting, {n} uploads left"],
    mount_stopped: "{name}: not mounted",
    mount_elsewhere: "{name}: mounted by another Fjordsync program",
};

const NB: Words = Words {
    decimal: ',',
    just_now: "nå nettopp",
    minutes_ago: "for {n} min siden",
    hours_ago: "for {n} t siden",
    days_ago: "for {n} d siden",
    used_of: "{used} av {total}",
    done: "fullført",
    failures: "feil",
    refused: "avvist",
    stopped: "stoppet",
    running: "kjører",
    interrupted: "avbrutt",
    up_to_date: "oppdatert",
    syncing: "synkroniserer …",
    task_failed: "en oppgave feilet",
    task_refused: "en kjøring ble avvist, ingenting ble endret",
    retrying: "kunne ikke synkronisere, prøver igjen av seg selv",
    conflicts: ["{n} konflikt å løse", "{n} konflikter å løse"],
    kept_aside: ["{n} fil kunne ikke synkroniseres", "{n} filer kunne ikke synkroniseres"],
    paused: "satt på pause",
    could_not_run: "Kunne ikke kjøre «{name}»",
    failed_title: "Feilet: «{name}»",
    refused_title: "Avvist: «{name}»",
    finished_title: "Ferdig: «{name}»",
    files_failed: ["{n} fil feilet.", "{n} filer feilet."],
    see_log: "Åpne Fjordsync for å se loggen.",
    nothing_changed: "Ingenting ble endret. Åpne Fjordsync for å se hvorfor.",
    finished_body: ["{n} fil, {bytes} på {mins} min.", "{n} filer, {bytes} på {mins} min."],
    open: "Åpne Fjordsync",
    sync_all: "Synkroniser alt nå",
    pause_all: "Sett alt på pause",
    resume_all: "Fortsett alt",
    no_results: "Ingen resultater ennå",
    quit: "Avslutt Fjordsync",
    mount_mounted: "{name}: montert, alt er lastet opp",
    mount_uploading: ["{name}: montert, {n} fil skal lastes opp", "{name}: montert, {n} filer skal lastes opp"],
    mount_problem: "{name}: en fil kunne ikke lastes opp",
    mount_starting: "{name}: monterer …",
    mount_retrying: "{name}: kunne ikke montere, prøver igjen av seg selv",
    mount_stopping: ["{name}: avmonterer, {n} opplasting igjen", "{name}: avmonterer, {n} opplastinger igjen"],
    mount_stopped: "{name}: ikke montert",
    mount_elsewhere: "{name}: montert av et annet Fjordsync-program",
};

const SV: Words = Words {
    decimal: ',',
    just_now: "nyss",
    minutes_ago: "för {n} min sedan",
    hours_ago: "för {n} tim sedan",
    days_ago: "för {n} d sedan",
    used_of: "{used} av {total}",
    done: "klar",
    failures: "fel",
    refused: "nekad",
    stopped: "stoppad",
    running: "pågår",
    interrupted: "avbruten",
    up_to_date: "uppdaterad",
    syncing: "synkroniserar…",
    task_failed: "en uppgift misslyckades",
    task_refused: "en körning nekades, inget ändrades",
    retrying: "kunde inte synka, försöker igen av sig själv",
    conflicts: ["{n} konflikt att lösa", "{n} konflikter att lösa"],
    kept_aside: ["{n} fil kunde inte synkas", "{n} filer kunde inte synkas"],
    paused: "pausad",
    could_not_run: "Kunde inte köra ”{name}”",
    failed_title: "Misslyckades: ”{name}”",
    refused_title: "Nekad: ”{name}”",
    finished_title: "Klar: ”{name}”",
    files_failed: ["{n} fil misslyckades.", "{n} filer misslyckades."],
    see_log: "Öppna Fjordsync för att se loggen.",
    nothing_changed: "Inget ändrades. Öppna Fjordsync för att se varför.",
    finished_body: ["{n} fil, {bytes} på {mins} min.", "{n} filer, {bytes} på {mins} min."],
    open: "Öppna Fjordsync",
    sync_all: "Synkronisera alla nu",
    pause_all: "Pausa alla",
    resume_all: "Återuppta alla",
    no_results: "Inga resultat än",
    quit: "Avsluta Fjordsync",
    mount_mounted: "{name}: monterad, allt är uppladdat",
    mount_uploading: ["{name}: monterad, {n} fil ska laddas upp", "{name}: monterad, {n} filer ska laddas upp"],
    mount_problem: "{name}: en fil kunde inte laddas upp",
    mount_starting: "{name}: monterar …",
    mount_retrying: "{name}: kunde inte montera, försöker igen av sig själv",
    mount_stopping: ["{name}: avmonterar, {n} uppladdning kvar", "{name}: avmonterar, {n} uppladdningar kvar"],
    mount_stopped: "{name}: inte monterad",
    mount_elsewhere: "{name}: monterad av ett annat Fjordsync-program",
};

const DA: Words = Words {
    decimal: ',',
    just_now: "lige nu",
    minutes_ago: "for {n} min. siden",
    hours_ago: "for {n} t. siden",
    days_ago: "for {n} d. siden",
    used_of: "{used} af {total}",
    done: "færdig",
    failures: "fejl",
    refused: "afvist",
    stopped: "stoppet",
    running: "kører",
    interrupted: "afbrudt",
    up_to_date: "opdateret",
    syncing: "synkroniserer…",
    task_failed: "en opgave mislykkedes",
    task_refused: "en kørsel blev afvist, intet blev ændret",
    retrying: "kunne ikke synkronisere, prøver igen af sig selv",
    conflicts: ["{n} konflikt at løse", "{n} konflikter at løse"],
    kept_aside: ["{n} fil kunne ikke synkroniseres", "{n} filer kunne ikke synkroniseres"],
    paused: "på pause",
    could_not_run: "Kunne ikke køre »{name}«",
    failed_title: "Mislykkedes: »{name}«",
    refused_title: "Afvist: »{name}«",
    finished_title: "Færdig: »{name}«",
    files_failed: ["{n} fil mislykkedes.", "{n} filer mislykkedes."],
    see_log: "Åbn Fjordsync for at se loggen.",
    nothing_changed: "Intet blev ændret. Åbn Fjordsync for at se hvorfor.",
    finished_body: ["{n} fil, {bytes} på {mins} min.", "{n} filer, {bytes} på {mins} min."],
    open: "Åbn Fjordsync",
    sync_all: "Synkroniser alt nu",
    pause_all: "Sæt alt på pause",
    resume_all: "Genoptag alt",
    no_results: "Ingen resultater endnu",
    quit: "Afslut Fjordsync",
    mount_mounted: "{name}: monteret, alt er uploadet",
    mount_uploading: ["{name}: monteret, {n} fil skal uploades", "{name}: monteret, {n} filer skal uploades"],
    mount_problem: "{name}: en fil kunne ikke uploades",
    mount_starting: "{name}: monterer …",
    mount_retrying: "{name}: kunne ikke montere, prøver igen af sig selv",
    mount_stopping: ["{name}: afmonterer, {n} upload tilbage", "{name}: afmonterer, {n} uploads tilbage"],
    mount_stopped: "{name}: ikke monteret",
    mount_elsewhere: "{name}: monteret af et andet Fjordsync-program",
};

const FI: Words = Words {
    decimal: ',',
    just_now: "juuri nyt",
    minutes_ago: "{n} min sitten",
    hours_ago: "{n} t sitten",
    days_ago: "{n} pv sitten",
    used_of: "{used} / {total}",
    done: "valmis",
    failures: "virheitä",
    refused: "hylätty",
    stopped: "pysäytetty",
    running: "käynnissä",
    interrupted: "keskeytynyt",
    up_to_date: "ajan tasalla",
    syncing: "synkronoidaan…",
    task_failed: "tehtävä epäonnistui",
    task_refused: "ajo hylättiin, mitään ei muutettu",
    retrying: "synkronointi ei onnistunut, yrittää itse uudelleen",
    conflicts: ["{n} ratkaistava ristiriita", "{n} ratkaistavaa ristiriitaa"],
    kept_aside: ["{n} tiedosto jäi synkronoimatta", "{n} tiedostoa jäi synkronoimatta"],
    paused: "keskeytetty",
    could_not_run: "Tehtävää ”{name}” ei voitu suorittaa",
    failed_title: "Epäonnistui: ”{name}”",
    refused_title: "Hylätty: ”{name}”",
    finished_title: "Valmis: ”{name}”",
    files_failed: ["{n} tiedosto epäonnistui.", "{n} tiedostoa epäonnistui."],
    see_log: "Avaa Fjordsync, niin näet lokin.",
    nothing_changed: "Mitään ei muutettu. Avaa Fjordsync, niin näet syyn.",
    finished_body: ["{n} tiedosto, {bytes} ajassa {mins} min.", "{n} tiedostoa, {bytes} ajassa {mins} min."],
    open: "Avaa Fjordsync",
    sync_all: "Synkronoi kaikki nyt",
    pause_all: "Keskeytä kaikki",
    resume_all: "Jatka kaikkia",
    no_results: "Ei vielä tuloksia",
    quit: "Lopeta Fjordsync",
    mount_mounted: "{name}: liitetty, kaikki on lähetetty",
    mount_uploading: [
        "{name}: liitetty, {n} tiedosto odottaa lähetystä",
        "{name}: liitetty, {n} tiedostoa odottaa lähetystä",
    ],
    mount_problem: "{name}: tiedostoa ei voitu lähettää",
    mount_starting: "{name}: liitetään…",
    mount_retrying: "{name}: liittäminen ei onnistunut, yritetään uudelleen itsestään",
    mount_stopping: ["{name}: irrotetaan, {n} lähetys jäljellä", "{name}: irrotetaan, {n} lähetystä jäljellä"],
    mount_stopped: "{name}: ei liitetty",
    mount_elsewhere: "{name}: toinen Fjordsync-ohjelma on liittänyt sen",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_and_the_system_map_to_the_same_five_languages() {
        let codes: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        assert_eq!(codes, fjordsync_api::settings::LANGUAGES, "the settings accept what the tray speaks");
        for l in Lang::ALL {
            assert_eq!(Lang::from_setting(l.code()), l);
        }
        assert_eq!(Lang::detect(["nn_NO.UTF-8"]), Lang::Nb);
        assert_eq!(Lang::detect(["no"]), Lang::Nb);
        assert_eq!(Lang::detect(["sv_FI.UTF-8"]), Lang::Sv);
        assert_eq!(Lang::detect(["da_DK.UTF-8"]), Lang::Da);
        assert_eq!(Lang::detect(["fi_FI@euro"]), Lang::Fi);
        assert_eq!(Lang::detect(["de_DE.UTF-8", "fi"]), Lang::Fi, "the first one we speak");
        assert_eq!(Lang::detect(["se_NO", "nb_NO"]), Lang::Nb, "Northern Sami is not Swedish");
        assert_eq!(Lang::detect(["de_DE.UTF-8"]), Lang::En);
        assert_eq!(Lang::detect(Vec::<String>::new()), Lang::En);
    }

    /// CLDR's forms for 0, 1, 2, 5 and 21, as the UI's test has them from
    /// Intl.PluralRules: one for 1 only in all five.
    #[test]
    fn counts_take_each_languages_plural_form() {
        let files = |l: Lang| [0, 1, 2, 5, 21].map(|n| l.count(["{n} one", "{n} other"], n, &[]));
        for l in Lang::ALL {
            assert_eq!(files(l), ["0 other", "1 one", "2 other", "5 other", "21 other"], "{l:?}");
        }
        assert_eq!(Lang::Fi.count(Lang::Fi.words().files_failed, 1, &[]), "1 tiedosto epäonnistui.");
        assert_eq!(Lang::Fi.count(Lang::Fi.words().files_failed, 21, &[]), "21 tiedostoa epäonnistui.");
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(fill("{used} of {total}", &[("used", "1 GiB")]), "1 GiB of {total}");
    }

    /// The UI dictionary of `code` as key → text (one `"key": "text",` a line).
    fn ui_dictionary(code: &str) -> std::collections::HashMap<String, String> {
        let path = format!("{}/ui/src/lib/i18n/{code}.ts", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.trim().strip_prefix('"')?.split_once("\": \"")?;
                Some((k.to_string(), v.strip_suffix("\",")?.to_string()))
            })
            .collect()
    }

    #[test]
    fn menu_words_are_the_windows_words() {
        for l in Lang::ALL {
            let ui = ui_dictionary(l.code());
            let w = l.words();
            for (key, tray) in
                [("status.syncAll", w.sync_all), ("status.pause", w.pause_all), ("status.resume", w.resume_all)]
            {
                assert_eq!(ui.get(key).map(String::as_str), Some(tray), "{} {key}", l.code());
            }
        }
    }

    #[test]
    fn placeholders_match_english_in_every_language() {
        fn marks(s: &str) -> Vec<&str> {
            let mut v: Vec<&str> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(k, _)| k)).collect();
            v.sort();
            v
        }
        let texts = |w: &Words| {
            let mut v = vec![w.minutes_ago, w.hours_ago, w.days_ago, w.used_of, w.could_not_run];
            v.extend([w.failed_title, w.refused_title, w.finished_title, w.see_log, w.nothing_changed]);
            v.extend(w.files_failed.iter().chain(&w.finished_body));
            v
        };
        for l in Lang::ALL {
            for (mine, en) in texts(l.words()).into_iter().zip(texts(&EN)) {
                assert_eq!(marks(mine), marks(en), "{}: {mine}", l.code());
            }
        }
    }
}
