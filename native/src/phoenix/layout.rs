//! The Phoenix v1 market account's bytes: header fields, size checks and the order trees.
//!
//! Every read is bounds-checked (`get`), so any byte string is safe to hand in; a short
//! read is reported as a decode failure rather than a panic.

use crate::bytes::{array_at, u32_at, u64_at};

/// `PhoeNiXZ8ByJGLkxNfZRnkUfjvmuYqLR89jjFHGqdXY`
pub const PROGRAM_ID: [u8; 32] = [
    5, 208, 234, 79, 51, 115, 112, 19, 165, 99, 224, 147, 72, 237, 182, 244, 89, 61, 145, 252, 118,
    65, 249, 36, 124, 36, 65, 168, 66, 161, 187, 235,
];
/// The program's `MarketHeader` discriminant (not Anchor's sha256 scheme).
pub const MARKET_DISCRIMINANT: u64 = 8_167_313_896_524_341_111;
/// `Uninitialized, Active, PostOnly, Paused, Closed, Tombstoned`: only 1 (Active) swaps.
pub const STATUS_COUNT: u64 = 6;
pub const STATUS_ACTIVE: u64 = 1;
/// Bids store the bit-inverted sequence number, so their top bit is set.
pub const BID_BIT: u64 = 1 << 63;

const HEADER_LEN: usize = 576;
const MARKET_PADDING_LEN: usize = 256;
const MARKET_SCALARS_LEN: usize = 48;
pub const SCALARS_OFFSET: usize = HEADER_LEN + MARKET_PADDING_LEN;
pub const BOOKS_OFFSET: usize = SCALARS_OFFSET + MARKET_SCALARS_LEN;
pub const TREE_HEADER_LEN: usize = 32;
pub const ORDER_NODE_LEN: usize = 64;
const TRADER_NODE_LEN: usize = 144;

/// Whether the program's dispatcher accepts these (bids, asks, seats) size parameters.
pub fn dispatchable(bids: u64, asks: u64, seats: u64) -> bool {
    matches!(bids, 512 | 1024 | 2048 | 4096)
        && asks == bids
        && (seats == 128 || seats == 2 * bids + 1 || seats == 2 * bids + 129)
}

/// Exact account length of a market with dispatchable size parameters.
pub fn market_len(bids: u64, asks: u64, seats: u64) -> u64 {
    let (node, trader, tree) = (
        ORDER_NODE_LEN as u64,
        TRADER_NODE_LEN as u64,
        TREE_HEADER_LEN as u64,
    );
    BOOKS_OFFSET as u64 + 3 * tree + node * (bids + asks) + trader * seats
}

/// One order node's key and value: price in ticks, order sequence number, trader index,
/// base lots, last valid slot, last valid unix time. Array order is the tuple order the
/// reference compares orders by.
pub type Order = [u64; 6];

/// The order tree at `offset`: header checks, then an in-order walk that hands each order
/// to `visit` in matching priority, checking links, count, side bits, prices and order.
/// `stack` is scratch space (reused between books to save allocations).
pub fn walk_book(
    data: &[u8],
    offset: usize,
    capacity: u64,
    is_bid: bool,
    stack: &mut Vec<u32>,
    mut visit: impl FnMut(&Order),
) -> Result<(), &'static str> {
    const SHORT: &str = "order tree runs past the account";
    let root = u32_at(data, offset).ok_or(SHORT)?;
    let size = u64_at(data, offset + 16).ok_or(SHORT)?;
    let bump_index = u32_at(data, offset + 24).ok_or(SHORT)?;
    if size > capacity || u64::from(bump_index) > capacity + 1 || u64::from(root) > capacity {
        return Err("order tree header is out of range");
    }
    if (root == 0) != (size == 0) {
        return Err("order tree root and size disagree");
    }
    // Node i (1-based) starts at nodes + (i - 1) * 64: registers left, right, parent,
    // colour (u32 each), then the six u64 of the order.
    let nodes = offset + TREE_HEADER_LEN;
    let at = |node: u32| nodes + (node as usize - 1) * ORDER_NODE_LEN;
    let mut pushes = size; // a valid tree pushes each node once: more is a cycle or bad link
    let mut seen: u64 = 0;
    let mut previous: Option<Order> = None;
    stack.clear();
    let mut node = root;
    loop {
        while node != 0 {
            if u64::from(node) > capacity || pushes == 0 {
                return Err("order tree has a bad node link");
            }
            pushes -= 1;
            stack.push(node);
            node = u32_at(data, at(node)).ok_or(SHORT)?;
        }
        let Some(top) = stack.pop() else { break };
        // The whole node at once (its right link included): in range iff its last field is.
        let raw: [u8; ORDER_NODE_LEN] = array_at(data, at(top)).ok_or(SHORT)?;
        let mut order: Order = [0; 6];
        for (i, field) in order.iter_mut().enumerate() {
            *field = u64_at(&raw, 16 + 8 * i).unwrap_or(0); // within the node: always read
        }
        if (order[1] >= BID_BIT) != is_bid {
            return Err("book holds an order id of the other side");
        }
        if order[0] == 0 {
            return Err("book holds an order at price 0");
        }
        // Strict priority: bids descending, asks ascending, as whole tuples.
        if let Some(prev) = previous {
            if (is_bid && prev <= order) || (!is_bid && prev >= order) {
                return Err("book is not in matching priority order");
            }
        }
        previous = Some(order);
        visit(&order);
        seen += 1;
        node = u32_at(&raw, 4).unwrap_or(0); // within the node: always read
    }
    if seen != size {
        return Err("order tree does not reach every order");
    }
    Ok(())
}
