use provisio_attachments::{AttachmentRefusal, AttachmentType, check};
use provisio_domain::attachment::MAX_ATTACHMENT_BYTES;

const PDF: &[u8] =
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[test]
fn the_type_comes_from_the_bytes_never_the_name() {
    let refused: [(&str, &[u8]); 10] = [
        (
            "page.png",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        ),
        (
            "image.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
        (
            "image.svg",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "setup.jpg",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00PE\0\0",
        ),
        (
            "tool.gif",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "docs.pdf",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00word/document.xml",
        ),
        ("notes.webp", b"just some text, not a picture"),
        // `%PDF` inside the first KiB of an HTML page is still an HTML page.
        (
            "report.pdf",
            b"<html><!-- %PDF-1.4 --><script>alert(1)</script></html>",
        ),
        // A WAVE file is RIFF too.
        (
            "sound.webp",
            b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00",
        ),
        // WEBP at offset 8 without the RIFF header before it.
        ("fake.webp", b"<svg/*\x00\x00WEBPVP8L*/>"),
    ];
    for (name, bytes) in refused {
        assert_eq!(
            check(name, bytes),
            Err(AttachmentRefusal::NotAllowed),
            "{name}"
        );
    }
}

#[test]
fn a_pdf_is_kept_exactly_as_it_came_under_a_pdf_name() {
    let checked = check("../scans/x.png", PDF).unwrap();
    assert_eq!(checked.kind, AttachmentType::Pdf);
    assert_eq!(checked.bytes, PDF);
    assert_eq!(checked.filename, "x.pdf");
}

#[test]
fn an_empty_file_and_one_over_five_mebibytes_are_refused_before_they_are_read() {
    assert_eq!(check("a.png", b""), Err(AttachmentRefusal::Empty));
    let mut big = PDF.to_vec();
    big.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
    assert_eq!(check("a.pdf", &big), Err(AttachmentRefusal::TooLarge));
    // Too large is decided before the type: the bytes need not be looked at.
    let mut big_html = b"<html>".to_vec();
    big_html.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
    assert_eq!(check("a.png", &big_html), Err(AttachmentRefusal::TooLarge));
    // Exactly the limit is fine.
    big.truncate(MAX_ATTACHMENT_BYTES);
    assert_eq!(
        check("a.pdf", &big).unwrap().bytes.len(),
        MAX_ATTACHMENT_BYTES
    );
}
