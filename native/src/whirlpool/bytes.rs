//! Little-endian reads that return None past the end instead of panicking.

pub fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        data.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub fn i32_at(data: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        data.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

pub fn u128_at(data: &[u8], at: usize) -> Option<u128> {
    Some(u128::from_le_bytes(
        data.get(at..at.checked_add(16)?)?.try_into().ok()?,
    ))
}

pub fn key_at(data: &[u8], at: usize) -> Option<[u8; 32]> {
    data.get(at..at.checked_add(32)?)?.try_into().ok()
}
