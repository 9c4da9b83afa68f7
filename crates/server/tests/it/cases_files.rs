//! Files for the case upload tests, made in code: screenshots encoded by `image`, a phone
//! photo with EXIF GPS (its APP1 segment built by hand), disguised non-images, a pixel-flood
//! header; and a case's `multipart/form-data` body, built by hand (the workspace's
//! `reqwest` has no multipart feature), so each part's claimed type is ours to choose.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use img_parts::Bytes;
use img_parts::png::{Png, PngChunk};

use crate::helpers::{Reply, TestApp};

/// A file part of a case's form: the name and type the client claims, and the bytes.
#[derive(Clone)]
pub struct File {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl File {
    pub fn new(filename: &str, content_type: &str, bytes: Vec<u8>) -> File {
        File {
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        }
    }
}

/// Separates the parts; none of the files made here contains it.
const BOUNDARY: &str = "provisio-case-form-5f0c8e21d7";

/// `POST /api/v1/cases` as `multipart/form-data`: the text fields, then the files in the
/// repeatable `attachments` field.
pub async fn post_form(t: &TestApp, key: &str, fields: &[(&str, &str)], files: &[File]) -> Reply {
    let mut body = Vec::new();
    for (name, value) in fields {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
        body.extend_from_slice(head.as_bytes());
    }
    for file in files {
        let head = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; \
             filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.filename, file.content_type
        );
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&file.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let req = t
        .http
        .post(format!("{}/api/v1/cases", t.base))
        .bearer_auth(key)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    TestApp::reply(req).await
}

/// A `width` × `height` gradient, as RGB: every pixel differs from its neighbours, so a
/// decoded copy shows whether the picture survived.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 13 % 256) as u8,
            (y * 29 % 256) as u8,
            ((x + y) * 7 % 256) as u8,
        ])
    })
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .expect("encode the fixture");
    out.into_inner()
}

/// A screenshot: a PNG with an alpha channel.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let rgb = gradient(width, height);
    let rgba = RgbaImage::from_fn(width, height, |x, y| {
        let [r, g, b] = rgb.get_pixel(x, y).0;
        image::Rgba([r, g, b, 255])
    });
    encode(DynamicImage::ImageRgba8(rgba), ImageFormat::Png)
}

/// A photo: a baseline JPEG.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(gradient(width, height)),
        ImageFormat::Jpeg,
    )
}

/// What a decoder makes of `bytes`: width, height and RGBA pixels.
pub fn decoded(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let image = image::load_from_memory(bytes).expect("the file decodes");
    let rgba = image.to_rgba8();
    (rgba.width(), rgba.height(), rgba.into_raw())
}

/// The latitude 59° 20' 12.34" as the GPS directory stores it: three big-endian rationals.
pub const LATITUDE: [u8; 24] = [
    0, 0, 0, 59, 0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0x04, 0xD2, 0, 0, 0, 100,
];

/// A big-endian TIFF structure as EXIF carries it: the first directory points at a GPS
/// directory holding "N" and [`LATITUDE`].
fn exif_gps() -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    }
    let mut t = b"MM\x00\x2a".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes());
    // Directory 0 at 8: one entry (GPSInfo, LONG, the GPS directory at 26), no next one.
    t.extend_from_slice(&1u16.to_be_bytes());
    entry(&mut t, 0x8825, 4, 1, 26u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    // The GPS directory at 26: GPSLatitudeRef "N" (ASCII, in place), GPSLatitude (three
    // RATIONALs at 56), no next directory.
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 56u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 56);
    t.extend_from_slice(&LATITUDE);
    t
}

/// A phone photo: [`jpeg`] with an APP1 EXIF segment carrying a GPS position right after
/// the start-of-image marker, where cameras write it.
pub fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    assert_eq!(&plain[..2], b"\xFF\xD8");
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&exif_gps());
    let length = u16::try_from(payload.len() + 2).unwrap();
    let mut photo = plain[..2].to_vec();
    photo.extend_from_slice(b"\xFF\xE1");
    photo.extend_from_slice(&length.to_be_bytes());
    photo.extend_from_slice(&payload);
    photo.extend_from_slice(&plain[2..]);
    photo
}

/// A real PNG whose header claims 100,000 × 100,000 pixels (a pixel flood: a few hundred
/// bytes that would decode into 40 GB).
pub fn pixel_flood() -> Vec<u8> {
    let mut png = Png::from_bytes(Bytes::from(png(16, 12))).expect("our PNG parses");
    let header = png.chunks_mut().first_mut().expect("IHDR comes first");
    let mut fields = header.contents().to_vec();
    fields[..4].copy_from_slice(&100_000u32.to_be_bytes());
    fields[4..8].copy_from_slice(&100_000u32.to_be_bytes());
    *header = PngChunk::new(*b"IHDR", Bytes::from(fields));
    png.encoder().bytes().to_vec()
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
