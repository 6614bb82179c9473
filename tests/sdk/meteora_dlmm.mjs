// Side-by-side reference for solarb's Meteora DLMM adapter: the official SDK's
// swapQuote / swapQuoteExactOut on pairs built from JSON, no RPC.
// stdin: one JSON case per line; stdout: one JSON result per line (big integers as
// decimal strings). `node meteora_dlmm.mjs bench` instead times the quotes for ~1 s and
// prints {"quotes_per_s": N}.
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import BN from "bn.js";
import { PublicKey } from "@solana/web3.js";

// The SDK's ESM build imports anchor by directory, which node's ESM loader refuses: use CJS.
const require = createRequire(import.meta.url);
const sdk = require("@meteora-ag/dlmm");
const DLMM = typeof sdk === "function" ? sdk : (sdk.default ?? sdk.DLMM);

const bn = (v) => new BN(String(v));
const key = (s) => new PublicKey(s);

function mint(m, address) {
  // The SDK reads Token-2022 transfer fees from the mint's TLV data (TransferFeeConfig).
  let tlvData = Buffer.alloc(0);
  if (m.fees) {
    const value = Buffer.alloc(108);
    const [older, newer] = m.fees;
    value.writeBigUInt64LE(BigInt(older.epoch), 72);
    value.writeBigUInt64LE(BigInt(older.maximum_fee), 80);
    value.writeUInt16LE(older.basis_points, 88);
    value.writeBigUInt64LE(BigInt(newer.epoch), 90);
    value.writeBigUInt64LE(BigInt(newer.maximum_fee), 98);
    value.writeUInt16LE(newer.basis_points, 106);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(1, 0);
    header.writeUInt16LE(108, 2);
    tlvData = Buffer.concat([header, value]);
  }
  return {
    address: key(address),
    decimals: m.decimals,
    supply: 0n,
    isInitialized: true,
    mintAuthority: null,
    freezeAuthority: null,
    tlvData,
  };
}

function build(c) {
  const p = c.pair;
  const bitmap = [];
  let bits = BigInt(p.bin_array_bitmap);
  for (let i = 0; i < 16; i++) {
    bitmap.push(new BN((bits & 0xffffffffffffffffn).toString()));
    bits >>= 64n;
  }
  const lbPair = {
    parameters: {
      baseFactor: p.parameters.base_factor,
      filterPeriod: p.parameters.filter_period,
      decayPeriod: p.parameters.decay_period,
      reductionFactor: p.parameters.reduction_factor,
      variableFeeControl: p.parameters.variable_fee_control,
      maxVolatilityAccumulator: p.parameters.max_volatility_accumulator,
      minBinId: p.parameters.min_bin_id,
      maxBinId: p.parameters.max_bin_id,
      protocolShare: p.parameters.protocol_share,
      baseFeePowerFactor: p.parameters.base_fee_power_factor,
      functionType: c.function_type,
      collectFeeMode: c.collect_fee_mode,
    },
    vParameters: {
      volatilityAccumulator: p.v_parameters.volatility_accumulator,
      volatilityReference: p.v_parameters.volatility_reference,
      indexReference: p.v_parameters.index_reference,
      lastUpdateTimestamp: bn(p.v_parameters.last_update_timestamp),
    },
    activeId: p.active_id,
    binStep: p.bin_step,
    binArrayBitmap: bitmap,
    rewardInfos: p.reward_mints.map((m) => ({ mint: key(m) })),
    tokenXMint: key(p.token_x_mint),
    tokenYMint: key(p.token_y_mint),
    reserveX: key(p.reserve_x),
    reserveY: key(p.reserve_y),
    oracle: key(p.oracle),
  };
  const binArrays = c.bin_arrays.map((a) => {
    const bins = [];
    for (let i = 0; i < 70; i++) bins.push(null);
    for (const b of a.bins) {
      bins[b.id - a.index * 70] = {
        amountX: bn(b.amount_x),
        amountY: bn(b.amount_y),
        price: bn(b.price),
        liquiditySupply: bn(b.liquidity_supply),
        openOrderAmount: bn(b.open_order_amount),
        processedOrderRemainingAmount: bn(b.processed_order_remaining_amount),
        limitOrderAskSide: b.limit_order_ask_side,
      };
    }
    const zero = {
      amountX: new BN(0),
      amountY: new BN(0),
      price: new BN(0),
      liquiditySupply: new BN(0),
      openOrderAmount: new BN(0),
      processedOrderRemainingAmount: new BN(0),
      limitOrderAskSide: 0,
    };
    return {
      publicKey: key(a.address),
      account: { index: bn(a.index), lbPair: key(a.lb_pair), bins: bins.map((b) => b ?? zero) },
    };
  });
  const tokenX = { publicKey: key(p.reserve_x), mint: mint(c.mint_x, p.token_x_mint) };
  const tokenY = { publicKey: key(p.reserve_y), mint: mint(c.mint_y, p.token_y_mint) };
  const clock = { epoch: bn(c.epoch), unixTimestamp: bn(c.clock_unix_ts), slot: bn(c.slot) };
  const dlmm = new DLMM(key(c.address), null, lbPair, null, tokenX, tokenY, [], clock);
  return { dlmm, binArrays };
}

function quote(c, built) {
  // The SDK reads "now" from Date.now(); pin it to the case's clock.
  Date.now = () => c.clock_unix_ts * 1000;
  const { dlmm, binArrays } = built;
  if (c.exact_in) {
    const q = dlmm.swapQuote(bn(c.amount), c.swap_for_y, new BN(0), binArrays, false);
    return {
      ok: true,
      amount_in: q.consumedInAmount.toString(),
      amount_out: q.outAmount.toString(),
      fee: q.fee.toString(),
      protocol_fee: q.protocolFee.toString(),
    };
  }
  const q = dlmm.swapQuoteExactOut(bn(c.amount), c.swap_for_y, new BN(0), binArrays);
  return {
    ok: true,
    amount_in: q.inAmount.toString(),
    amount_out: q.outAmount.toString(),
    fee: q.fee.toString(),
    protocol_fee: q.protocolFee.toString(),
  };
}

function safeQuote(c, built) {
  try {
    return quote(c, built);
  } catch (err) {
    return { ok: false, error: String(err && err.message ? err.message : err) };
  }
}

const lines = [];
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) if (line.trim()) lines.push(JSON.parse(line));

const cases = lines.map((c) => ({ c, built: build(c) }));
if (process.argv[2] === "bench") {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    for (const { c, built } of cases) {
      safeQuote(c, built);
      n++;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ quotes_per_s: Math.round(n / seconds) }) + "\n");
} else {
  const out = cases.map(({ c, built }) => JSON.stringify(safeQuote(c, built)));
  process.stdout.write(out.join("\n") + "\n");
}
