//! A case's form as `multipart/form-data` (the API's and the page's): its text fields and
//! its files, read with the domain's limits as they stream in — a sixth file or a file over
//! 5 MB is refused at once, without reading the rest. The files' types are not read here
//! (nor ever from the client): the bytes decide, in the app.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use provisio_domain::attachment::{
    AttachmentRefusal, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, check_count,
};

use crate::app::App;
use crate::app::cases::Upload;
use crate::error::{AppError, Message};

/// The repeatable file field of a case.
pub const FILE_FIELD: &str = "attachments";
/// The most any text field may carry (a description is at most 10,000 characters).
const FIELD_MAX_BYTES: usize = 64 * 1024;

/// The body limit of the routes that take a case's form: its files at their limits plus
/// room for the fields (SPEC §10: the cases route has its own limit).
pub const CASE_BODY_LIMIT: usize = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024;

/// The form's text fields (each once) and its files, in the order sent.
#[derive(Debug, Default)]
pub struct CaseForm {
    pub fields: HashMap<String, String>,
    pub files: Vec<Upload>,
}

/// Whether a request carries a multipart form.
pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

fn unreadable(reason: impl ToString) -> AppError {
    AppError::unreadable(Message::new("request-body-unreadable").with("reason", reason.to_string()))
}

/// Reads the whole form. A file field sent without a file (a browser's empty chooser) is
/// skipped; a text field sent twice is `400`.
pub async fn read_case_form(req: Request, app: &App) -> Result<CaseForm, AppError> {
    let mut multipart = Multipart::from_request(req, app)
        .await
        .map_err(|e| unreadable(e.body_text()))?;
    let mut form = CaseForm::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                limit: CASE_BODY_LIMIT,
            }
        } else {
            unreadable(e.body_text())
        }
    })? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == FILE_FIELD {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(e.body_text()))? {
                if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                    return Err(AppError::Attachment(AttachmentRefusal::TooLarge));
                }
                bytes.extend_from_slice(&chunk);
            }
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            check_count(form.files.len() + 1).map_err(AppError::Attachment)?;
            form.files.push(Upload { filename, bytes });
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(e.body_text()))? {
            if value.len() + chunk.len() > FIELD_MAX_BYTES {
                return Err(AppError::PayloadTooLarge {
                    limit: FIELD_MAX_BYTES,
                });
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| unreadable("a field is not UTF-8"))?;
        if form.fields.insert(name.clone(), value).is_some() {
            return Err(unreadable(format!("the field {name} is sent twice")));
        }
    }
    Ok(form)
}

/// An attachment's bytes with the headers that keep it inert (shared with the pages).
pub fn attachment_response(file: provisio_store::AttachmentFile) -> Response {
    let mut response = file.bytes.into_response();
    let h = response.headers_mut();
    let content_type = HeaderValue::from_str(&file.meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, content_type);
    // The stored name is safe (no quotes, controls or paths): RFC 6266's quoted form.
    let disposition = format!("attachment; filename=\"{}\"", file.meta.filename);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    } else {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
