use jottacloud::names::{MAX_NAME_CHARS, decode_name, encode_name, validate_remote_name};
use proptest::prelude::*;

fn tricky_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        'a', 'Z', '.', ' ', '"', '*', ':', '<', '>', '?', '|', '%', '/', '\\', '+', '#', '\'', '\0', '\u{1}', '\u{1f}',
        '\u{7f}', '\u{FF02}', '\u{FF0A}', '\u{FF1A}', '\u{FF05}', '\u{FF0F}', '\u{FF0E}', '\u{2400}', '\u{2401}',
        '\u{2421}', '\u{201B}', '\u{FFFD}', 'é', '🎉', 'F', '0',
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_bytes(raw in prop::collection::vec(any::<u8>(), 0..48)) {
        prop_assert_eq!(decode_name(&encode_name(&raw)), raw);
    }

    #[test]
    fn round_trip_tricky(chars in prop::collection::vec(tricky_char(), 0..24), junk in prop::collection::vec(any::<u8>(), 0..3)) {
        let mut raw: Vec<u8> = chars.into_iter().collect::<String>().into_bytes();
        raw.extend(junk);
        let enc = encode_name(&raw);
        prop_assert_eq!(decode_name(&enc), raw.clone());
        if !raw.is_empty() && enc.chars().count() <= MAX_NAME_CHARS {
            prop_assert!(validate_remote_name(&enc).is_ok(), "{:?} -> {:?}", raw, enc);
        }
    }
}
