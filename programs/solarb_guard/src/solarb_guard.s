# solarb_guard: balance assertions that make an arbitrage transaction
# "profit or nothing". Hand-written sBPF (assembled by the `sbpf` crate)
# because the SBF Rust toolchain cannot be fetched on the build machines;
# see programs/solarb_guard/README.md and docs/guard-program.md.
#
# Instructions (Anchor wire format: 8-byte discriminator = sha256("global:<name>")[..8]):
#   begin()                      accounts: signer, scratch(w), instructions sysvar, token accounts 1..8
#   end(min_deltas: Vec<i64>)    accounts: signer, scratch(w), the same token accounts in the same order
#   assert_min_balance(min: u64) accounts: signer, token account
#   close()                      accounts: signer(w), scratch(w)
# Errors are Anchor-style custom codes 6000.. (listed at the bottom, documented in idl.json).
#
# Register conventions in the entrypoint frame:
#   r9 input base, r8 number of accounts, r7 instruction data length, r6 instruction data.
#   Account i's serialized header address is kept at [r10 - 8*(i+1)], the program id address at [r10 - 96].

# --- serialized account header (aligned loader input) --------------------------------------------
.equ ACC_IS_SIGNER, 1
.equ ACC_IS_WRITABLE, 2
.equ ACC_KEY, 8
.equ ACC_OWNER, 40
.equ ACC_LAMPORTS, 72
.equ ACC_DATA_LEN, 80
.equ ACC_DATA, 88
# header (8) + key + owner + lamports + data_len (88) + realloc reserve (10240) + rent_epoch (8)
.equ ACC_FIXED_SIZE, 10336
.equ MAX_ACCOUNTS, 11

# --- SPL token account fields, relative to the account header ------------------------------------
.equ TOKEN_AUTHORITY, 120
.equ TOKEN_AMOUNT, 152
.equ TOKEN_STATE, 196
.equ TOKEN_ACCOUNT_TYPE, 253
.equ TOKEN_ACCOUNT_LEN, 165

# --- scratch account layout, relative to the account header ---------------------------------------
# data: discriminator u64 | authority [32] | armed u8 | count u8 | pad [6] | 8 x (key [32], amount u64)
.equ SCRATCH_DISC, 88
.equ SCRATCH_AUTHORITY, 96
.equ SCRATCH_ARMED, 128
.equ SCRATCH_COUNT, 129
.equ SCRATCH_ENTRIES, 136
.equ SCRATCH_LEN, 368
.equ MAX_WATCHED, 8

# --- constants (little-endian u64 words; tests/programs check them against their sources) ---------
.equ DISC_BEGIN, 0x6c748d622a1f9623
.equ DISC_END, 0x104679c2d9f9a0b4
.equ DISC_ASSERT_MIN_BALANCE, 0xb49efbff830cb579
.equ DISC_CLOSE, 0x60ce416cb1c9a562
.equ DISC_SCRATCH_ACCOUNT, 0x2de2c5c2d46c8355
# TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA
.equ SPL_TOKEN_0, 0x93a165d7e1f6dd06
.equ SPL_TOKEN_1, 0xac79ebce46e1cbd9
.equ SPL_TOKEN_2, 0x91375b5fed85b41c
.equ SPL_TOKEN_3, 0xa900ff7e85f58c3a
# TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb
.equ TOKEN_2022_0, 0xde8f75eee1f6dd06
.equ TOKEN_2022_1, 0xdacd6ce4bc5d4218
.equ TOKEN_2022_2, 0x270db9834dfc1ab6
.equ TOKEN_2022_3, 0xfc8ba1d828f9bdfe
# Sysvar1nstructions1111111111111111111111111
.equ IX_SYSVAR_0, 0x66d17b1817d5a706
.equ IX_SYSVAR_1, 0xc0c2fd5504d4da35
.equ IX_SYSVAR_2, 0xa57556218fc624c1
.equ IX_SYSVAR_3, 0x85fcbbadb
# scratch seed "solarb-guard" as u64 + u32 little-endian words
.equ SEED_LO, 0x672d6272616c6f73
.equ SEED_HI, 0x64726175
.equ SEED_LEN, 12

.globl entrypoint
entrypoint:
  mov64 r9, r1
  ldxdw r8, [r9 + 0]
  jlt r8, 2, err_account_count
  jgt r8, MAX_ACCOUNTS, err_account_count

  # Walk the serialized accounts once, remembering where each header lives.
  # A duplicated account is rejected: every role here needs a distinct account.
  mov64 r2, r9
  add64 r2, 8
  mov64 r3, r10
  sub64 r3, 8
  mov64 r4, r8
walk:
  ldxb r5, [r2 + 0]
  jne r5, 0xff, err_duplicate
  stxdw [r3 + 0], r2
  sub64 r3, 8
  ldxdw r5, [r2 + ACC_DATA_LEN]
  add64 r5, 7
  and64 r5, -8
  add64 r2, r5
  add64 r2, ACC_FIXED_SIZE
  sub64 r4, 1
  jne r4, 0, walk

  ldxdw r7, [r2 + 0]
  add64 r2, 8
  mov64 r6, r2
  add64 r2, r7
  stxdw [r10 - 96], r2
  jlt r7, 8, err_bad_data

  # Every instruction needs the wallet as account 0, signing.
  ldxdw r1, [r10 - 8]
  ldxb r2, [r1 + ACC_IS_SIGNER]
  jne r2, 1, err_missing_signer

  ldxdw r1, [r6 + 0]
  lddw r2, DISC_END
  jeq r1, r2, ix_end
  lddw r2, DISC_BEGIN
  jeq r1, r2, ix_begin
  lddw r2, DISC_ASSERT_MIN_BALANCE
  jeq r1, r2, ix_assert_min_balance
  lddw r2, DISC_CLOSE
  jeq r1, r2, ix_close
  ja err_bad_data

# --- end(min_deltas: Vec<i64>) -------------------------------------------------------------------
ix_end:
  jlt r8, 3, err_account_count
  sub64 r8, 2
  jgt r8, MAX_WATCHED, err_account_count
  # data = disc (8) + vec len u32 (4) + 8 per delta
  mov64 r1, r8
  lsh64 r1, 3
  add64 r1, 12
  jne r7, r1, err_bad_data
  ldxw r1, [r6 + 8]
  jne r1, r8, err_bad_data

  ldxdw r1, [r10 - 16]
  ldxdw r3, [r10 - 96]
  call scratch_base
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  call scratch_authority
  jne r0, 0, done

  ldxdw r7, [r10 - 16]
  ldxb r1, [r7 + SCRATCH_ARMED]
  jne r1, 1, err_not_armed
  ldxb r1, [r7 + SCRATCH_COUNT]
  jne r1, r8, err_watched_mismatch

  add64 r6, 12
  add64 r7, SCRATCH_ENTRIES
  mov64 r9, r10
  sub64 r9, 24
end_loop:
  ldxdw r1, [r9 + 0]
  ldxdw r2, [r10 - 8]
  call check_token
  jne r0, 0, done
  ldxdw r1, [r9 + 0]
  ldxdw r2, [r1 + ACC_KEY]
  ldxdw r3, [r7 + 0]
  jne r2, r3, err_watched_mismatch
  ldxdw r2, [r1 + 16]
  ldxdw r3, [r7 + 8]
  jne r2, r3, err_watched_mismatch
  ldxdw r2, [r1 + 24]
  ldxdw r3, [r7 + 16]
  jne r2, r3, err_watched_mismatch
  ldxdw r2, [r1 + 32]
  ldxdw r3, [r7 + 24]
  jne r2, r3, err_watched_mismatch

  # new >= old: pass when min <= 0 or new - old >= min (both then fit u64).
  # new <  old: pass only when min < 0 and old - new <= -min (as u64, so i64::MIN works).
  ldxdw r2, [r1 + TOKEN_AMOUNT]
  ldxdw r3, [r7 + 32]
  ldxdw r4, [r6 + 0]
  jlt r2, r3, end_loss
  jsle r4, 0, end_next
  sub64 r2, r3
  jlt r2, r4, err_profit_below_minimum
  ja end_next
end_loss:
  jsge r4, 0, err_profit_below_minimum
  sub64 r3, r2
  mov64 r5, 0
  sub64 r5, r4
  jgt r3, r5, err_profit_below_minimum
end_next:
  add64 r6, 8
  add64 r7, 40
  sub64 r9, 8
  sub64 r8, 1
  jne r8, 0, end_loop

  # Disarm so the snapshot can never be compared against again.
  ldxdw r1, [r10 - 16]
  stb [r1 + SCRATCH_ARMED], 0
  mov64 r0, 0
  exit

# --- begin() -------------------------------------------------------------------------------------
ix_begin:
  jne r7, 8, err_bad_data
  jlt r8, 4, err_account_count
  sub64 r8, 3
  jgt r8, MAX_WATCHED, err_account_count

  ldxdw r1, [r10 - 16]
  ldxdw r3, [r10 - 96]
  call scratch_base
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r1 + SCRATCH_DISC]
  jeq r2, 0, begin_claim
  ldxdw r2, [r10 - 8]
  call scratch_authority
  jne r0, 0, done
  ja begin_sysvar
begin_claim:
  # A fresh scratch is only accepted at the signer's seeded address, which only
  # the signer can create, so nobody can pre-claim or squat someone else's.
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  ldxdw r3, [r10 - 96]
  call scratch_address
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  lddw r3, DISC_SCRATCH_ACCOUNT
  stxdw [r1 + SCRATCH_DISC], r3
  ldxdw r3, [r2 + ACC_KEY]
  stxdw [r1 + SCRATCH_AUTHORITY], r3
  ldxdw r3, [r2 + 16]
  stxdw [r1 + 104], r3
  ldxdw r3, [r2 + 24]
  stxdw [r1 + 112], r3
  ldxdw r3, [r2 + 32]
  stxdw [r1 + 120], r3
begin_sysvar:
  # Refuse unless this transaction ends the snapshot later: an armed snapshot
  # then never outlives its transaction (a failed end reverts everything).
  ldxdw r1, [r10 - 24]
  ldxdw r2, [r10 - 16]
  ldxdw r3, [r10 - 96]
  call find_end
  jne r0, 0, done

  ldxdw r7, [r10 - 16]
  stxb [r7 + SCRATCH_COUNT], r8
  add64 r7, SCRATCH_ENTRIES
  mov64 r6, r10
  sub64 r6, 32
begin_loop:
  ldxdw r1, [r6 + 0]
  ldxdw r2, [r10 - 8]
  call check_token
  jne r0, 0, done
  ldxdw r1, [r6 + 0]
  ldxdw r2, [r1 + ACC_KEY]
  stxdw [r7 + 0], r2
  ldxdw r2, [r1 + 16]
  stxdw [r7 + 8], r2
  ldxdw r2, [r1 + 24]
  stxdw [r7 + 16], r2
  ldxdw r2, [r1 + 32]
  stxdw [r7 + 24], r2
  ldxdw r2, [r1 + TOKEN_AMOUNT]
  stxdw [r7 + 32], r2
  add64 r7, 40
  sub64 r6, 8
  sub64 r8, 1
  jne r8, 0, begin_loop

  ldxdw r1, [r10 - 16]
  stb [r1 + SCRATCH_ARMED], 1
  mov64 r0, 0
  exit

# --- assert_min_balance(min: u64) ----------------------------------------------------------------
ix_assert_min_balance:
  jne r8, 2, err_account_count
  jne r7, 16, err_bad_data
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  call check_token
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r1 + TOKEN_AMOUNT]
  ldxdw r3, [r6 + 8]
  jlt r2, r3, err_balance_below_minimum
  mov64 r0, 0
  exit

# --- close(): return the scratch's rent to the signer --------------------------------------------
ix_close:
  jne r8, 2, err_account_count
  jne r7, 8, err_bad_data
  ldxdw r1, [r10 - 8]
  ldxb r2, [r1 + ACC_IS_WRITABLE]
  jne r2, 1, err_not_writable
  ldxdw r1, [r10 - 16]
  ldxdw r3, [r10 - 96]
  call scratch_base
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  call scratch_authority
  jne r0, 0, done
  ldxdw r1, [r10 - 16]
  ldxdw r2, [r10 - 8]
  ldxdw r3, [r1 + ACC_LAMPORTS]
  ldxdw r4, [r2 + ACC_LAMPORTS]
  add64 r4, r3
  stxdw [r2 + ACC_LAMPORTS], r4
  stdw [r1 + ACC_LAMPORTS], 0
  # Zeroed discriminator: a closed scratch cannot satisfy a later end in this transaction.
  stdw [r1 + SCRATCH_DISC], 0
  stb [r1 + SCRATCH_ARMED], 0
  mov64 r0, 0
  exit

# --- helpers (return r0 = 0 or an error code; may clobber r1..r5) ---------------------------------

# check_token(r1 = token account header, r2 = signer header):
# an initialized SPL Token / Token-2022 *account* (not a mint or multisig) whose authority is the signer.
check_token:
  ldxdw r3, [r1 + ACC_OWNER]
  lddw r4, SPL_TOKEN_0
  jeq r3, r4, ct_spl
  lddw r4, TOKEN_2022_0
  jeq r3, r4, ct_2022
  ja ct_not_token
ct_spl:
  ldxdw r3, [r1 + 48]
  lddw r4, SPL_TOKEN_1
  jne r3, r4, ct_not_token
  ldxdw r3, [r1 + 56]
  lddw r4, SPL_TOKEN_2
  jne r3, r4, ct_not_token
  ldxdw r3, [r1 + 64]
  lddw r4, SPL_TOKEN_3
  jne r3, r4, ct_not_token
  ldxdw r3, [r1 + ACC_DATA_LEN]
  jne r3, TOKEN_ACCOUNT_LEN, ct_not_token
  ja ct_state
ct_2022:
  ldxdw r3, [r1 + 48]
  lddw r4, TOKEN_2022_1
  jne r3, r4, ct_not_token
  ldxdw r3, [r1 + 56]
  lddw r4, TOKEN_2022_2
  jne r3, r4, ct_not_token
  ldxdw r3, [r1 + 64]
  lddw r4, TOKEN_2022_3
  jne r3, r4, ct_not_token
  # Token-2022 with extensions: longer than 165 and tagged AccountType::Account (2).
  ldxdw r3, [r1 + ACC_DATA_LEN]
  jeq r3, TOKEN_ACCOUNT_LEN, ct_state
  jlt r3, TOKEN_ACCOUNT_LEN, ct_not_token
  ldxb r3, [r1 + TOKEN_ACCOUNT_TYPE]
  jne r3, 2, ct_not_token
ct_state:
  ldxb r3, [r1 + TOKEN_STATE]
  jeq r3, 0, ct_not_token
  ldxdw r3, [r1 + TOKEN_AUTHORITY]
  ldxdw r4, [r2 + ACC_KEY]
  jne r3, r4, ct_wrong_owner
  ldxdw r3, [r1 + 128]
  ldxdw r4, [r2 + 16]
  jne r3, r4, ct_wrong_owner
  ldxdw r3, [r1 + 136]
  ldxdw r4, [r2 + 24]
  jne r3, r4, ct_wrong_owner
  ldxdw r3, [r1 + 144]
  ldxdw r4, [r2 + 32]
  jne r3, r4, ct_wrong_owner
  mov64 r0, 0
  exit
ct_not_token:
  mov64 r0, 6004
  exit
ct_wrong_owner:
  mov64 r0, 6005
  exit

# scratch_base(r1 = scratch header, r3 = program id): owned by this program, writable, right size.
scratch_base:
  ldxdw r4, [r1 + ACC_OWNER]
  ldxdw r5, [r3 + 0]
  jne r4, r5, sb_owner
  ldxdw r4, [r1 + 48]
  ldxdw r5, [r3 + 8]
  jne r4, r5, sb_owner
  ldxdw r4, [r1 + 56]
  ldxdw r5, [r3 + 16]
  jne r4, r5, sb_owner
  ldxdw r4, [r1 + 64]
  ldxdw r5, [r3 + 24]
  jne r4, r5, sb_owner
  ldxb r4, [r1 + ACC_IS_WRITABLE]
  jne r4, 1, sb_writable
  ldxdw r4, [r1 + ACC_DATA_LEN]
  jne r4, SCRATCH_LEN, sb_invalid
  mov64 r0, 0
  exit
sb_owner:
  mov64 r0, 6006
  exit
sb_writable:
  mov64 r0, 6008
  exit
sb_invalid:
  mov64 r0, 6009
  exit

# scratch_authority(r1 = scratch header, r2 = signer header): initialized and belongs to the signer.
scratch_authority:
  ldxdw r4, [r1 + SCRATCH_DISC]
  lddw r5, DISC_SCRATCH_ACCOUNT
  jne r4, r5, sb_invalid
  ldxdw r4, [r1 + SCRATCH_AUTHORITY]
  ldxdw r5, [r2 + ACC_KEY]
  jne r4, r5, sa_authority
  ldxdw r4, [r1 + 104]
  ldxdw r5, [r2 + 16]
  jne r4, r5, sa_authority
  ldxdw r4, [r1 + 112]
  ldxdw r5, [r2 + 24]
  jne r4, r5, sa_authority
  ldxdw r4, [r1 + 120]
  ldxdw r5, [r2 + 32]
  jne r4, r5, sa_authority
  mov64 r0, 0
  exit
sa_authority:
  mov64 r0, 6007
  exit

# scratch_address(r1 = scratch header, r2 = signer header, r3 = program id):
# the scratch key must equal create_with_seed(signer, "solarb-guard", program id)
# = sha256(signer || seed || program id).
scratch_address:
  mov64 r6, r1
  lddw r4, SEED_LO
  stxdw [r10 - 16], r4
  stw [r10 - 8], SEED_HI
  # three (ptr, len) slices at r10 - 64
  mov64 r4, r2
  add64 r4, ACC_KEY
  stxdw [r10 - 64], r4
  stdw [r10 - 56], 32
  mov64 r4, r10
  sub64 r4, 16
  stxdw [r10 - 48], r4
  stdw [r10 - 40], SEED_LEN
  stxdw [r10 - 32], r3
  stdw [r10 - 24], 32
  mov64 r1, r10
  sub64 r1, 64
  mov64 r2, 3
  mov64 r3, r10
  sub64 r3, 96
  call sol_sha256
  ldxdw r4, [r10 - 96]
  ldxdw r5, [r6 + ACC_KEY]
  jne r4, r5, sad_mismatch
  ldxdw r4, [r10 - 88]
  ldxdw r5, [r6 + 16]
  jne r4, r5, sad_mismatch
  ldxdw r4, [r10 - 80]
  ldxdw r5, [r6 + 24]
  jne r4, r5, sad_mismatch
  ldxdw r4, [r10 - 72]
  ldxdw r5, [r6 + 32]
  jne r4, r5, sad_mismatch
  mov64 r0, 0
  exit
sad_mismatch:
  mov64 r0, 6016
  exit

# find_end(r1 = instructions sysvar header, r2 = scratch header, r3 = program id):
# a later top-level instruction of this program is `end` on the same scratch.
# Sysvar data: u16 count | u16 offsets[count] | instructions... | u16 current index.
# Instruction: u16 n_accounts | n x (u8 flags, [32] key) | [32] program id | u16 data_len | data.
find_end:
  ldxdw r4, [r1 + ACC_KEY]
  lddw r5, IX_SYSVAR_0
  jne r4, r5, fe_bad_sysvar
  ldxdw r4, [r1 + 16]
  lddw r5, IX_SYSVAR_1
  jne r4, r5, fe_bad_sysvar
  ldxdw r4, [r1 + 24]
  lddw r5, IX_SYSVAR_2
  jne r4, r5, fe_bad_sysvar
  ldxdw r4, [r1 + 32]
  lddw r5, IX_SYSVAR_3
  jne r4, r5, fe_bad_sysvar
  ldxdw r4, [r1 + ACC_DATA_LEN]
  mov64 r6, r1
  add64 r6, ACC_DATA
  mov64 r5, r6
  add64 r5, r4
  ldxh r7, [r5 - 2]
  ldxh r8, [r6 + 0]
fe_loop:
  add64 r7, 1
  jge r7, r8, fe_missing
  mov64 r4, r7
  lsh64 r4, 1
  add64 r4, r6
  ldxh r4, [r4 + 2]
  add64 r4, r6
  ldxh r5, [r4 + 0]
  jlt r5, 2, fe_loop
  # account meta 1 (the scratch) key at 2 + 33 + 1
  ldxdw r1, [r4 + 36]
  ldxdw r9, [r2 + ACC_KEY]
  jne r1, r9, fe_loop
  ldxdw r1, [r4 + 44]
  ldxdw r9, [r2 + 16]
  jne r1, r9, fe_loop
  ldxdw r1, [r4 + 52]
  ldxdw r9, [r2 + 24]
  jne r1, r9, fe_loop
  ldxdw r1, [r4 + 60]
  ldxdw r9, [r2 + 32]
  jne r1, r9, fe_loop
  mul64 r5, 33
  add64 r5, r4
  add64 r5, 2
  ldxdw r1, [r5 + 0]
  ldxdw r9, [r3 + 0]
  jne r1, r9, fe_loop
  ldxdw r1, [r5 + 8]
  ldxdw r9, [r3 + 8]
  jne r1, r9, fe_loop
  ldxdw r1, [r5 + 16]
  ldxdw r9, [r3 + 16]
  jne r1, r9, fe_loop
  ldxdw r1, [r5 + 24]
  ldxdw r9, [r3 + 24]
  jne r1, r9, fe_loop
  ldxh r1, [r5 + 32]
  jlt r1, 8, fe_loop
  ldxdw r1, [r5 + 34]
  lddw r9, DISC_END
  jne r1, r9, fe_loop
  mov64 r0, 0
  exit
fe_missing:
  mov64 r0, 6011
  exit
fe_bad_sysvar:
  mov64 r0, 6015
  exit

# --- error exits (codes documented in idl.json) --------------------------------------------------
err_profit_below_minimum:
  mov64 r0, 6000
  exit
err_balance_below_minimum:
  mov64 r0, 6001
  exit
err_bad_data:
  mov64 r0, 6002
  exit
err_missing_signer:
  mov64 r0, 6003
  exit
err_not_writable:
  mov64 r0, 6008
  exit
err_not_armed:
  mov64 r0, 6010
  exit
err_watched_mismatch:
  mov64 r0, 6012
  exit
err_account_count:
  mov64 r0, 6013
  exit
err_duplicate:
  mov64 r0, 6014
  exit
done:
  exit
