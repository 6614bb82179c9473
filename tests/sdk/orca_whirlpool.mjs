// Side-by-side reference for solarb's Orca Whirlpool venue: @orca-so/whirlpools-core (WASM).
//
// stdin: one JSON case per line (big integers as decimal strings):
//   {whirlpool: {...}, tick_arrays: [{start, ticks: [[offset, liquidity_net], ...]}],
//    amount, exact_in, specified_a, fee_a: {bps, max} | null, fee_b: ..., timestamp}
//   `specified_a`: for exact-in, the input is token A; for exact-out, the output is token A.
// stdout: one JSON line per case: {ok, amount_in, amount_out, fee} or {ok: false, error}.
// `node orca_whirlpool.mjs bench`: quote the cases repeatedly for ~1 s, print {quotes_per_s}.
import { createInterface } from "node:readline";
import { swapQuoteByInputToken, swapQuoteByOutputToken } from "@orca-so/whirlpools-core";

const TICK_ARRAY_SIZE = 88;

function zeroTick() {
  return {
    initialized: false,
    liquidityNet: 0n,
    liquidityGross: 0n,
    feeGrowthOutsideA: 0n,
    feeGrowthOutsideB: 0n,
    rewardGrowthsOutside: [0n, 0n, 0n],
  };
}

function toCase(doc) {
  const w = doc.whirlpool;
  const whirlpool = {
    feeTierIndexSeed: new Uint8Array([w.fee_tier_index & 0xff, w.fee_tier_index >> 8]),
    tickSpacing: w.tick_spacing,
    feeRate: w.fee_rate,
    protocolFeeRate: w.protocol_fee_rate,
    liquidity: BigInt(w.liquidity),
    sqrtPrice: BigInt(w.sqrt_price),
    tickCurrentIndex: w.tick_current_index,
    feeGrowthGlobalA: 0n,
    feeGrowthGlobalB: 0n,
    rewardLastUpdatedTimestamp: 0n,
    rewardInfos: [0, 1, 2].map(() => ({ emissionsPerSecondX64: 0n, growthGlobalX64: 0n })),
  };
  const tickArrays = doc.tick_arrays.map((a) => {
    const ticks = Array.from({ length: TICK_ARRAY_SIZE }, zeroTick);
    for (const [offset, net] of a.ticks) {
      const liquidityNet = BigInt(net);
      ticks[offset] = {
        ...zeroTick(),
        initialized: true,
        liquidityNet,
        liquidityGross: liquidityNet < 0n ? -liquidityNet : liquidityNet,
      };
    }
    return { startTickIndex: a.start, ticks };
  });
  const fee = (f) => (f ? { feeBps: f.bps, maxFee: BigInt(f.max) } : undefined);
  return {
    whirlpool,
    tickArrays,
    amount: BigInt(doc.amount),
    exactIn: doc.exact_in,
    specifiedA: doc.specified_a,
    feeA: fee(doc.fee_a),
    feeB: fee(doc.fee_b),
    timestamp: BigInt(doc.timestamp ?? 0),
  };
}

function quote(c) {
  if (c.exactIn) {
    const q = swapQuoteByInputToken(
      c.amount, c.specifiedA, 0, c.whirlpool, undefined, c.tickArrays, c.timestamp, c.feeA, c.feeB,
    );
    return { amount_in: q.tokenIn, amount_out: q.tokenEstOut, fee: q.tradeFee };
  }
  const q = swapQuoteByOutputToken(
    c.amount, c.specifiedA, 0, c.whirlpool, undefined, c.tickArrays, c.timestamp, c.feeA, c.feeB,
  );
  return { amount_in: q.tokenEstIn, amount_out: q.tokenOut, fee: q.tradeFee };
}

async function readCases() {
  const cases = [];
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim()) cases.push(toCase(JSON.parse(line)));
  }
  return cases;
}

const cases = await readCases();
if (process.argv[2] === "bench") {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1.0 && cases.length > 0) {
    for (const c of cases) {
      try {
        quote(c);
      } catch {
        // Refused cases still cost a quote attempt.
      }
      n += 1;
    }
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  process.stdout.write(JSON.stringify({ quotes_per_s: Math.round(n / Math.max(elapsed, 1e-9)) }) + "\n");
} else {
  const out = [];
  for (const c of cases) {
    try {
      const q = quote(c);
      out.push(
        JSON.stringify({
          ok: true,
          amount_in: q.amount_in.toString(),
          amount_out: q.amount_out.toString(),
          fee: q.fee.toString(),
        }),
      );
    } catch (e) {
      out.push(JSON.stringify({ ok: false, error: String(e) }));
    }
  }
  process.stdout.write(out.join("\n") + "\n");
}
