//! How two-way sync matches names across the sides. The service ignores
//! case (`Report.pdf` and `report.pdf` are one file there), and the same
//! accented name can arrive composed (NFC, as Windows and Linux programs
//! usually write it) or decomposed (NFD, as macOS does): the user sees one
//! name either way. So items are matched by their case-folded NFC form, and
//! two names in one folder that fold to the same form are a collision found
//! before anything is sent (the service, or the other computer's disk,
//! would merge them into one).

use fjordsync_jottacloud::names::fold_case;
use icu_normalizer::ComposingNormalizerBorrowed;

/// The form items are matched by: case folded, then NFC.
pub fn fold(key: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc().normalize(&fold_case(key)).into_owned()
}

/// The parent folder's key (`""` for an item at the root).
pub fn parent(key: &str) -> &str {
    key.rsplit_once('/').map_or("", |(p, _)| p)
}

/// The last name of a key.
pub fn name(key: &str) -> &str {
    key.rsplit_once('/').map_or(key, |(_, n)| n)
}

/// True when `key` is `folder` itself or below it (both folded).
pub fn is_under(key: &str, folder: &str) -> bool {
    key.len() > folder.len() && key.starts_with(folder) && key.as_bytes()[folder.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_composition_fold_to_one_form() {
        let nfc = "Caf\u{e9}/R\u{e9}sum\u{e9}.txt";
        let nfd = "CAFE\u{301}/re\u{301}sume\u{301}.TXT";
        assert_eq!(fold(nfc), fold(nfd));
        assert_ne!(fold("a.txt"), fold("b.txt"));
        assert_eq!((parent("a/b/c"), name("a/b/c")), ("a/b", "c"));
        assert_eq!((parent("c"), name("c")), ("", "c"));
        assert!(is_under("a/b", "a") && !is_under("ab", "a") && !is_under("a", "a"));
    }
}
