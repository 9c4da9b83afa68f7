//! Messages kept in memory, for tests of the code that sends (scheduler, retries).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::{Accepted, SendError, Transport};

/// Keeps every accepted message; answers with scripted failures first, if any were queued.
#[derive(Debug, Default)]
pub struct MemoryTransport {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<Vec<u8>>,
    failures: VecDeque<SendError>,
}

impl MemoryTransport {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next send fails with `error` (failures queue up in order).
    pub fn fail_next(&self, error: SendError) {
        self.state().failures.push_back(error);
    }

    /// The messages accepted so far, as sent on the wire.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.state().sent.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Transport for MemoryTransport {
    async fn send(&self, message: &lettre::Message) -> Result<Accepted, SendError> {
        let mut state = self.state();
        if let Some(error) = state.failures.pop_front() {
            return Err(error);
        }
        state.sent.push(message.formatted());
        Ok(Accepted {
            reply: format!("250 kept in memory as message {}", state.sent.len()),
        })
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn scripted_failures_come_first_then_messages_are_kept() {
        let memory = Arc::new(MemoryTransport::new());
        memory.fail_next(SendError::transient("451 4.3.0 try later"));
        let transport: Arc<dyn Transport> = memory.clone();
        let message = lettre::Message::builder()
            .from("provisio@provisio.example".parse().unwrap())
            .to("kim@kund.example".parse().unwrap())
            .date(std::time::UNIX_EPOCH)
            .body(String::from("hej"))
            .unwrap();
        let error = transport.send(&message).await.unwrap_err();
        assert_eq!(
            (error.fault, error.reply.as_str()),
            (crate::Fault::Transient, "451 4.3.0 try later")
        );
        transport.send(&message).await.unwrap();
        assert_eq!(memory.sent().len(), 1);
        assert_eq!(transport.describe(), "memory");
    }
}
