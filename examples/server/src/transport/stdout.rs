//! The stdout transport: one JSON line a delivery, written by a thread of
//! its own behind a bounded queue.

use std::io::Write;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

use tokio::sync::oneshot;

use super::{Message, Sending, Transport, TransportError};

/// Deliveries waiting for the stdout thread.
const STDOUT_QUEUE: usize = 256;

/// The stdout transport: a bounded queue to a thread that writes each
/// line and says when it has. A stdout nobody reads (a full pipe) blocks
/// that thread alone; requests meanwhile wait at most the transport
/// timeout, and once the queue is full they are refused at once.
#[derive(Debug)]
pub struct Stdout {
    lines: SyncSender<Line>,
}

/// A line to write, and where to say it was written.
type Line = (Vec<u8>, oneshot::Sender<std::io::Result<()>>);

impl Stdout {
    /// Starts the writer thread.
    pub fn start() -> Result<Stdout, TransportError> {
        let (lines, queue) = sync_channel::<Line>(STDOUT_QUEUE);
        std::thread::Builder::new()
            .name("mfa-stdout".into())
            .spawn(move || {
                for (line, done) in queue {
                    let mut out = std::io::stdout().lock();
                    let _ = done.send(out.write_all(&line).and_then(|()| out.flush()));
                }
            })
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Ok(Stdout { lines })
    }

    async fn write(&self, message: &Message) -> Result<(), TransportError> {
        let mut line =
            serde_json::to_vec(message).map_err(|e| TransportError::Io(e.to_string()))?;
        line.push(b'\n');
        let (done, written) = oneshot::channel();
        self.lines.try_send((line, done)).map_err(|e| match e {
            TrySendError::Full(_) => TransportError::Busy,
            TrySendError::Disconnected(_) => TransportError::Io("the stdout thread ended".into()),
        })?;
        match written.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TransportError::Io(format!("stdout: {e}"))),
            Err(_) => Err(TransportError::Io("the stdout thread ended".into())),
        }
    }
}

impl Transport for Stdout {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(self.write(message))
    }
}
