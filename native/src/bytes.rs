//! Little-endian reads from account bytes that return None past the end (no panics).

/// The `N` bytes at `at`, None if they run past the end.
pub fn array_at<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    data.get(at..at.checked_add(N)?)?.try_into().ok()
}

pub fn u8_at(data: &[u8], at: usize) -> Option<u8> {
    data.get(at).copied()
}

pub fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    array_at(data, at).map(u16::from_le_bytes)
}

pub fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    array_at(data, at).map(u32::from_le_bytes)
}

pub fn i32_at(data: &[u8], at: usize) -> Option<i32> {
    array_at(data, at).map(i32::from_le_bytes)
}

pub fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    array_at(data, at).map(u64::from_le_bytes)
}

pub fn i64_at(data: &[u8], at: usize) -> Option<i64> {
    array_at(data, at).map(i64::from_le_bytes)
}

pub fn u128_at(data: &[u8], at: usize) -> Option<u128> {
    array_at(data, at).map(u128::from_le_bytes)
}

pub fn key_at(data: &[u8], at: usize) -> Option<[u8; 32]> {
    array_at(data, at)
}
