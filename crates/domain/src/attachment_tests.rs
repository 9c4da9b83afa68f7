use super::*;
use proptest::prelude::*;

use AttachmentType::{Gif, Jpeg, Pdf, Png, Webp};

#[test]
fn each_type_has_its_media_type_and_extension() {
    let table = [
        (Png, "image/png", "png"),
        (Jpeg, "image/jpeg", "jpg"),
        (Gif, "image/gif", "gif"),
        (Webp, "image/webp", "webp"),
        (Pdf, "application/pdf", "pdf"),
    ];
    for (ty, mime, ext) in table {
        assert_eq!((ty.mime(), ty.extension()), (mime, ext));
    }
}

#[test]
fn size_and_count_refusals_are_payload_too_large_the_rest_invalid_request() {
    let all = [
        AttachmentRefusal::Empty,
        AttachmentRefusal::NotAllowed,
        AttachmentRefusal::Damaged,
        AttachmentRefusal::TooManyPixels {
            width: 20_000,
            height: 1,
        },
        AttachmentRefusal::TooLarge,
        AttachmentRefusal::TooMany,
    ];
    let too_large: Vec<_> = all.iter().filter(|r| r.too_large()).collect();
    assert_eq!(
        too_large,
        [&AttachmentRefusal::TooLarge, &AttachmentRefusal::TooMany]
    );
    let keys: Vec<_> = all.iter().map(|r| r.key()).collect();
    assert_eq!(
        keys,
        [
            "attachment-empty",
            "attachment-not-allowed",
            "attachment-damaged",
            "attachment-too-many-pixels",
            "attachment-too-large",
            "attachment-too-many",
        ]
    );
}

#[test]
fn a_flood_refusal_names_the_claimed_size_and_the_limit() {
    let r = AttachmentRefusal::TooManyPixels {
        width: 100_000,
        height: 20,
    };
    assert_eq!(
        r.args(),
        [
            ("width", "100000".to_owned()),
            ("height", "20".to_owned()),
            ("max", "10000".to_owned()),
        ]
    );
    assert_eq!(
        AttachmentRefusal::TooLarge.args(),
        [("max_mb", "5".to_owned())]
    );
}

#[test]
fn up_to_five_attachments_per_case() {
    assert_eq!(check_count(0), Ok(()));
    assert_eq!(check_count(5), Ok(()));
    assert_eq!(check_count(6), Err(AttachmentRefusal::TooMany));
}

#[test]
fn a_file_is_neither_empty_nor_over_five_mebibytes() {
    assert_eq!(check_size(0), Err(AttachmentRefusal::Empty));
    assert_eq!(check_size(1), Ok(()));
    assert_eq!(check_size(5 * 1024 * 1024), Ok(()));
    assert_eq!(
        check_size(5 * 1024 * 1024 + 1),
        Err(AttachmentRefusal::TooLarge)
    );
}

#[test]
fn either_side_over_ten_thousand_pixels_is_refused() {
    assert_eq!(check_dimensions(10_000, 10_000), Ok(()));
    assert_eq!(check_dimensions(1, 1), Ok(()));
    assert_eq!(
        check_dimensions(10_001, 1),
        Err(AttachmentRefusal::TooManyPixels {
            width: 10_001,
            height: 1
        })
    );
    assert_eq!(
        check_dimensions(1, 100_000),
        Err(AttachmentRefusal::TooManyPixels {
            width: 1,
            height: 100_000
        })
    );
    assert_eq!(check_dimensions(0, 5), Err(AttachmentRefusal::Damaged));
    assert_eq!(check_dimensions(5, 0), Err(AttachmentRefusal::Damaged));
}

#[test]
fn a_download_keeps_only_the_last_path_component() {
    assert_eq!(safe_filename("../../etc/passwd", Png), "passwd.png");
    assert_eq!(
        safe_filename(r"C:\Users\kim\Desktop\fel.png", Png),
        "fel.png"
    );
    assert_eq!(safe_filename("/tmp/x/", Png), "attachment.png");
    assert_eq!(safe_filename("..", Gif), "attachment.gif");
    assert_eq!(safe_filename(".htaccess", Pdf), "attachment.pdf");
    assert_eq!(safe_filename(".hidden.png", Png), "hidden.png");
    assert_eq!(safe_filename(".png", Png), "attachment.png");
}

#[test]
fn a_download_ends_in_the_extension_of_its_sniffed_type() {
    assert_eq!(safe_filename("x.png", Pdf), "x.pdf");
    assert_eq!(safe_filename("invoice.pdf.exe", Pdf), "invoice.pdf.pdf");
    assert_eq!(safe_filename("page.html", Png), "page.png");
    assert_eq!(safe_filename("PHOTO.JPEG", Jpeg), "PHOTO.jpg");
    assert_eq!(safe_filename("skärmbild", Webp), "skärmbild.webp");
    assert_eq!(
        safe_filename("Screen Shot 2024-01-05 at 10.15.32", Png),
        "Screen Shot 2024-01-05 at 10.15.32.png"
    );
    assert_eq!(safe_filename("  x.png .  ", Png), "x.png");
}

#[test]
fn a_download_name_has_no_controls_bidi_overrides_or_quotes() {
    // "invoice<RLO>gnp.exe" shows as "invoiceexe.png" in a browser's download bar.
    assert_eq!(
        safe_filename("invoice\u{202E}gnp.exe", Png),
        "invoicegnp.png"
    );
    assert_eq!(safe_filename("a\u{2066}b\u{2069}c.png", Png), "abc.png");
    assert_eq!(safe_filename("a\"b'c.png", Png), "abc.png");
    assert_eq!(
        safe_filename("x\r\nSet-Cookie: y.png", Png),
        "xSet-Cookie: y.png"
    );
    assert_eq!(safe_filename("\u{FEFF}\0\t.png", Png), "attachment.png");
    // Joiners stay: emoji and some scripts need them.
    assert_eq!(safe_filename("👩\u{200D}💻.png", Png), "👩\u{200D}💻.png");
}

#[test]
fn a_download_name_is_at_most_a_hundred_characters() {
    let long = format!("{}.png", "å".repeat(300));
    let safe = safe_filename(&long, Png);
    assert_eq!(safe.chars().count(), MAX_FILENAME_CHARS);
    assert_eq!(safe, format!("{}.png", "å".repeat(96)));
    let webp = safe_filename(&"b".repeat(100), Webp);
    assert_eq!(webp, format!("{}.webp", "b".repeat(95)));
    // A cut that ends on a dot or space does not leave it before the extension.
    let dotted = format!("{}. {}", "c".repeat(94), "d".repeat(20));
    assert_eq!(
        safe_filename(&dotted, Png),
        format!("{}.png", "c".repeat(94))
    );
}

proptest! {
    #[test]
    fn any_name_gives_a_short_flat_name_with_the_right_extension(name in "(?s).{0,300}") {
        for ty in [Png, Jpeg, Gif, Webp, Pdf] {
            let safe = safe_filename(&name, ty);
            prop_assert!(safe.chars().count() <= MAX_FILENAME_CHARS);
            let ext = format!(".{}", ty.extension());
            prop_assert!(safe.ends_with(&ext));
            prop_assert!(safe.len() > ext.len());
            prop_assert!(!safe.contains(['/', '\\', '"', '\'']));
            prop_assert!(!safe.starts_with('.'));
            prop_assert!(safe.chars().all(|c| !is_forbidden_in_name(c)));
        }
    }
}
