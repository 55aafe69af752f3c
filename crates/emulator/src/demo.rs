//! Sample content for demo storage: a few small real photos.
//!
//! The app's demo fills the emulator through the API like any user would;
//! the bytes live here, beside the emulator, so every program that starts a
//! demo shows the same pictures. How they were made:
//! `crates/emulator/demo/photos/README.md`.

/// The demo's photos: a file name and its bytes (JPEG or PNG, 960x600).
pub const PHOTOS: &[(&str, &[u8])] = &[
    ("Lofoten.jpg", include_bytes!("../demo/photos/Lofoten.jpg")),
    ("Geiranger.jpg", include_bytes!("../demo/photos/Geiranger.jpg")),
    ("Northern lights.jpg", include_bytes!("../demo/photos/Northern lights.jpg")),
    ("Midnight sun.jpg", include_bytes!("../demo/photos/Midnight sun.jpg")),
    ("Bergen.png", include_bytes!("../demo/photos/Bergen.png")),
];

#[cfg(test)]
mod tests {
    use super::PHOTOS;

    /// Real images, each a size a phone would not be ashamed of, all small
    /// enough to keep the binaries lean.
    #[test]
    fn photos_are_real_small_images() {
        assert!(PHOTOS.len() >= 4);
        let mut total = 0;
        for (name, bytes) in PHOTOS {
            let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]) && name.ends_with(".jpg");
            let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n") && name.ends_with(".png");
            assert!(jpeg || png, "{name} is not a JPEG or PNG named as one");
            assert!((20_000..=150_000).contains(&bytes.len()), "{name}: {} bytes", bytes.len());
            total += bytes.len();
        }
        assert!(total < 1_000_000, "{total} bytes in all");
    }
}
