use image::ImageFormat;
use img_parts::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use provisio_attachments::{AttachmentRefusal, AttachmentType, check};

use crate::fixtures::{XMP, assert_no_location, contains, decoded, encoded, exif_with_gps};

const ICC: &[u8] = b"ICC_PROFILE\0\x01\x01fake-profile-bytes";

/// A 16 × 12 JPEG as a phone leaves it: a JFIF header with a thumbnail, EXIF with GPS, XMP,
/// IPTC, an ICC profile, a comment before the frame and one between the scan and the end,
/// and a second image with its own EXIF appended after the end (as MPF does).
fn phone_photo() -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(encoded(ImageFormat::Jpeg, 16, 12).into()).unwrap();
    let segments = jpeg.segments_mut();
    segments.retain(|s| s.marker() != markers::APP0);
    let mut jfif = b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x02\x01".to_vec();
    jfif.extend_from_slice(b"THUMBS");
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&exif_with_gps());
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(XMP);
    let added = [
        (markers::APP0, jfif),
        (markers::APP1, exif.clone()),
        (markers::APP1, xmp),
        (markers::APP2, ICC.to_vec()),
        (
            markers::APP13,
            b"Photoshop 3.0\08BIM\x04\x04IPTC-byline".to_vec(),
        ),
        (markers::COM, b"taken at home".to_vec()),
    ];
    for (i, (marker, contents)) in added.into_iter().enumerate() {
        segments.insert(
            i,
            JpegSegment::new_with_contents(marker, Bytes::from(contents)),
        );
    }
    let mut bytes = jpeg.encoder().bytes().to_vec();
    // A comment between the last scan and the end marker.
    let eoi = bytes.len() - 2;
    bytes.splice(eoi..eoi, *b"\xFF\xFE\x00\x0Ebetween-scan");
    // The appended second image.
    bytes.extend_from_slice(b"\xFF\xD8\xFF\xE1\x00\x70");
    bytes.extend_from_slice(&exif);
    bytes
}

#[test]
fn a_phone_photo_loses_its_exif_gps_and_keeps_every_pixel() {
    let photo = phone_photo();
    assert!(contains(&photo, b"Exif\0\0"));
    let checked = check("IMG_0001.JPG", &photo).unwrap();
    assert_eq!(checked.kind, AttachmentType::Jpeg);
    assert_eq!(checked.filename, "IMG_0001.jpg");
    assert_no_location(&checked.bytes);
    for gone in [
        &b"Photoshop 3.0"[..],
        b"taken at home",
        b"between-scan",
        b"THUMBS",
    ] {
        assert!(!contains(&checked.bytes, gone));
    }
    // The same picture, decoded from the same entropy-coded data.
    assert_eq!(
        decoded(&checked.bytes, ImageFormat::Jpeg),
        decoded(&photo, ImageFormat::Jpeg)
    );
    assert!(checked.bytes.ends_with(b"\xFF\xD9"));
}

#[test]
fn the_colour_profile_stays_and_the_jfif_header_loses_its_thumbnail() {
    let checked = check("a.jpg", &phone_photo()).unwrap();
    let jpeg = Jpeg::from_bytes(checked.bytes.into()).unwrap();
    let app: Vec<_> = jpeg
        .segments()
        .iter()
        .filter(|s| (markers::APP0..=markers::APP15).contains(&s.marker()))
        .map(|s| (s.marker(), s.contents().to_vec()))
        .collect();
    assert_eq!(
        app,
        [
            (
                markers::APP0,
                b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec()
            ),
            (markers::APP2, ICC.to_vec()),
        ]
    );
    assert!(jpeg.segment_by_marker(markers::COM).is_none());
}

#[test]
fn a_frame_header_claiming_a_huge_picture_is_refused_before_decoding() {
    let mut jpeg = Jpeg::from_bytes(encoded(ImageFormat::Jpeg, 16, 12).into()).unwrap();
    for segment in jpeg.segments_mut() {
        if segment.marker() == markers::SOF0 {
            let mut sof = segment.contents().to_vec();
            // Precision, then height and width.
            sof[1..5].copy_from_slice(&[0xFD, 0xE8, 0x00, 0x10]);
            *segment = JpegSegment::new_with_contents(markers::SOF0, Bytes::from(sof));
        }
    }
    assert_eq!(
        check("flood.jpg", &jpeg.encoder().bytes()),
        Err(AttachmentRefusal::TooManyPixels {
            width: 16,
            height: 65_000
        })
    );
}

#[test]
fn a_jpeg_without_its_end_or_with_a_second_frame_is_damaged() {
    let photo = encoded(ImageFormat::Jpeg, 16, 12);
    assert_eq!(
        check("a.jpg", &photo[..photo.len() - 2]),
        Err(AttachmentRefusal::Damaged)
    );
    let mut two_frames = photo.clone();
    let eoi = two_frames.len() - 2;
    two_frames.splice(
        eoi..eoi,
        *b"\xFF\xC0\x00\x0B\x08\x00\x10\x00\x10\x01\x01\x11\x00",
    );
    assert_eq!(check("a.jpg", &two_frames), Err(AttachmentRefusal::Damaged));
    assert_eq!(
        check("a.jpg", b"\xFF\xD8\xFF\xD9"),
        Err(AttachmentRefusal::Damaged)
    );
}
