//! Reading numbers and pieces out of untrusted bytes: every read is bounds-checked and says
//! `None` (or `Damaged`) past the end instead of panicking.

use provisio_domain::attachment::AttachmentRefusal;

/// `N` bytes at `at`, if there are that many.
fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// A big-endian `u16` at `at`.
pub(crate) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_be_bytes)
}

/// A big-endian `u32` at `at`.
pub(crate) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_be_bytes)
}

/// A little-endian `u16` at `at`.
pub(crate) fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    array(bytes, at).map(u16::from_le_bytes)
}

/// A little-endian 24-bit number at `at`.
pub(crate) fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    array::<3>(bytes, at).map(|[a, b, c]| u32::from_le_bytes([a, b, c, 0]))
}

/// A little-endian `u32` at `at`.
pub(crate) fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    array(bytes, at).map(u32::from_le_bytes)
}

/// Reads `bytes` front to back; reading past the end is `Damaged`.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// How far it has read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], AttachmentRefusal> {
        let end = self.pos.checked_add(n).ok_or(AttachmentRefusal::Damaged)?;
        let piece = self
            .bytes
            .get(self.pos..end)
            .ok_or(AttachmentRefusal::Damaged)?;
        self.pos = end;
        Ok(piece)
    }

    /// The next byte.
    pub(crate) fn byte(&mut self) -> Result<u8, AttachmentRefusal> {
        let &[b] = self.take(1)? else {
            return Err(AttachmentRefusal::Damaged);
        };
        Ok(b)
    }

    /// The bytes read from `start` up to here.
    pub(crate) fn since(&self, start: usize) -> Result<&'a [u8], AttachmentRefusal> {
        self.bytes
            .get(start..self.pos)
            .ok_or(AttachmentRefusal::Damaged)
    }
}
