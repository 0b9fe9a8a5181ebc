//! A bounded channel with two-phase sends: `reserve` takes a slot (a permit), `Permit::send`
//! commits a value into it, and dropping a permit without sending gives the slot back. A
//! sender therefore never holds a value it cannot deliver, and closing the channel while
//! permits are out is visible as outstanding obligations.

use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Every slot is taken by a queued value or an outstanding permit.
    Full,
    /// The receiver closed the channel.
    Closed,
}

#[derive(Debug)]
pub struct Channel {
    queue: VecDeque<u64>,
    capacity: usize,
    reserved: usize,
    closed: bool,
}

/// The right to send one value. It borrows the channel so a permit cannot outlive it.
#[must_use = "a permit holds a slot until it is sent or dropped"]
#[derive(Debug)]
pub struct Permit<'a> {
    channel: &'a mut Channel,
    committed: bool,
}

impl Channel {
    pub fn new(capacity: usize) -> Channel {
        assert!(capacity > 0, "a channel needs at least one slot");
        Channel { queue: VecDeque::with_capacity(capacity), capacity, reserved: 0, closed: false }
    }

    pub fn reserve(&mut self) -> Result<Permit<'_>, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if self.queue.len() + self.reserved >= self.capacity {
            return Err(SendError::Full);
        }
        self.reserved += 1;
        Ok(Permit { channel: self, committed: false })
    }

    pub fn recv(&mut self) -> Option<u64> {
        self.queue.pop_front()
    }

    pub fn close(&mut self) {
        self.closed = true;
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Permits handed out and neither sent nor dropped yet.
    pub fn outstanding_permits(&self) -> usize {
        self.reserved
    }
}

impl Permit<'_> {
    pub fn send(mut self, value: u64) {
        self.channel.queue.push_back(value);
        self.channel.reserved -= 1;
        self.committed = true;
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.channel.reserved -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Channel, SendError};

    #[test]
    fn reserve_send_recv_in_order() {
        let mut ch = Channel::new(2);
        ch.reserve().unwrap().send(1);
        ch.reserve().unwrap().send(2);
        assert_eq!(ch.reserve().unwrap_err(), SendError::Full);
        assert_eq!(ch.recv(), Some(1));
        ch.reserve().unwrap().send(3);
        assert_eq!((ch.recv(), ch.recv(), ch.recv()), (Some(2), Some(3), None));
    }

    #[test]
    fn dropped_permit_returns_its_slot() {
        let mut ch = Channel::new(1);
        {
            let permit = ch.reserve().unwrap();
            drop(permit);
        }
        assert_eq!(ch.outstanding_permits(), 0);
        ch.reserve().unwrap().send(7);
        assert_eq!(ch.recv(), Some(7));
    }

    #[test]
    fn closed_channel_refuses_new_permits_but_drains() {
        let mut ch = Channel::new(4);
        ch.reserve().unwrap().send(5);
        ch.close();
        assert_eq!(ch.reserve().unwrap_err(), SendError::Closed);
        assert_eq!(ch.recv(), Some(5));
        assert!(ch.is_empty());
    }
}
