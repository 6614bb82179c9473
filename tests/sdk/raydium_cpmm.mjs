// Side-by-side reference for the Raydium CPMM venue: @raydium-io/raydium-sdk-v2 quotes.
//
// stdin: one JSON case per line:
//   {pool, config, mint_in, mint_out: base64 account data; vault_in, vault_out: decimal
//    strings; a_to_b: bool; exact_in: bool; amount: decimal string; epoch: number;
//    ix?: {owner, source, destination, pool_id, threshold}}
// stdout: one JSON result per line, big integers as decimal strings:
//   {amount_in, amount_out, trade_fee, protocol_fee, fund_fee, creator_fee,
//    program_order?: {...same keys...}, ix?: {program, data, keys}} or {error}
// `node raydium_cpmm.mjs bench` quotes the cases repeatedly for ~1 s and prints
// {"quotes_per_s": N}.
//
// Pool, config, mints and vault balances are decoded by the SDK's own layouts; the
// creator-fee side is chosen by the program's rule (the SDK's computeSwapAmount ignores the
// trade direction and enable_creator_fee), then CurveCalculator and getTransferAmountFeeV2
// run in the program's order.
import BN from "bn.js";
import { createInterface } from "node:readline";
import { PublicKey } from "@solana/web3.js";
import { unpackMint, getTransferFeeConfig, TOKEN_2022_PROGRAM_ID } from "@solana/spl-token";
import {
  CurveCalculator,
  CpmmFee,
  ConstantProductCurve,
  CpmmPoolInfoLayout,
  CpmmConfigInfoLayout,
  getTransferAmountFeeV2,
  makeSwapCpmmBaseInInstruction,
  makeSwapCpmmBaseOutInstruction,
  getPdaPoolAuthority,
} from "@raydium-io/raydium-sdk-v2";

const PROGRAM = new PublicKey("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C");
const DUMMY = new PublicKey(new Uint8Array(32).fill(9));

function feeConfig(b64) {
  const data = Buffer.from(b64, "base64");
  const program = data.length > 82 ? TOKEN_2022_PROGRAM_ID : undefined;
  if (!program) return undefined;
  const mint = unpackMint(DUMMY, { data, owner: program, lamports: 0, executable: false }, program);
  const cfg = getTransferFeeConfig(mint);
  if (!cfg) return undefined;
  const one = (f) => ({
    epoch: f.epoch.toString(),
    maximumFee: f.maximumFee.toString(),
    transferFeeBasisPoints: f.transferFeeBasisPoints,
  });
  return { olderTransferFee: one(cfg.olderTransferFee), newerTransferFee: one(cfg.newerTransferFee) };
}

function prepare(c) {
  const pool = CpmmPoolInfoLayout.decode(Buffer.from(c.pool, "base64"));
  const config = CpmmConfigInfoLayout.decode(Buffer.from(c.config, "base64"));
  const side = (vault, proto, fund, creator) => new BN(vault).sub(proto).sub(fund).sub(creator);
  const reserveA = side(c.a_to_b ? c.vault_in : c.vault_out, pool.protocolFeesMintA, pool.fundFeesMintA, pool.creatorFeesMintA);
  const reserveB = side(c.a_to_b ? c.vault_out : c.vault_in, pool.protocolFeesMintB, pool.fundFeesMintB, pool.creatorFeesMintB);
  // Program rule (PoolState::is_creator_fee_on_input): 0 both, 1 only token 0, 2 only token 1.
  const feeOn = pool.feeOn;
  const creatorOnInput = feeOn === 0 || (feeOn === 1 && c.a_to_b) || (feeOn === 2 && !c.a_to_b);
  return {
    c,
    pool,
    reserveIn: c.a_to_b ? reserveA : reserveB,
    reserveOut: c.a_to_b ? reserveB : reserveA,
    trade: config.tradeFeeRate,
    creator: pool.enableCreatorFee ? config.creatorFeeRate : new BN(0),
    protocol: config.protocolFeeRate,
    fund: config.fundFeeRate,
    creatorOnInput,
    feeIn: feeConfig(c.mint_in),
    feeOut: feeConfig(c.mint_out),
    epochInfo: { epoch: c.epoch, slotsInEpoch: 432000, absoluteSlot: c.epoch * 432000 },
    amount: new BN(c.amount),
  };
}

// The program's swap_base_input fee split when the creator fee is on the input, built from
// the SDK's own CpmmFee helpers (CurveCalculator.swapBaseInput charges the two fees
// separately, which the program does not).
function programBaseInputCreatorOnInput(p, arriving) {
  const totalFee = CpmmFee.tradingFee(arriving, p.trade.add(p.creator));
  const creatorFee = CpmmFee.splitCreatorFee(totalFee, p.trade, p.creator);
  const tradeFee = totalFee.sub(creatorFee);
  const less = arriving.sub(totalFee);
  const out = ConstantProductCurve.swapBaseInputWithoutFees(less, p.reserveIn, p.reserveOut);
  return {
    inputAmount: arriving,
    outputAmount: out,
    tradeFee,
    protocolFee: CpmmFee.protocolFee(tradeFee, p.protocol),
    fundFee: CpmmFee.fundFee(tradeFee, p.fund),
    creatorFee,
  };
}

function quote(p, programOrder) {
  if (p.c.exact_in) {
    const inFee = getTransferAmountFeeV2(p.amount, p.feeIn, p.epochInfo, false).fee ?? new BN(0);
    const arriving = p.amount.sub(inFee);
    const r = programOrder
      ? programBaseInputCreatorOnInput(p, arriving)
      : CurveCalculator.swapBaseInput(arriving, p.reserveIn, p.reserveOut, p.trade, p.creator, p.protocol, p.fund, p.creatorOnInput);
    const outFee = getTransferAmountFeeV2(r.outputAmount, p.feeOut, p.epochInfo, false).fee ?? new BN(0);
    return { r, amountIn: p.amount, amountOut: r.outputAmount.sub(outFee) };
  }
  const leaving = getTransferAmountFeeV2(p.amount, p.feeOut, p.epochInfo, true).amount;
  const r = CurveCalculator.swapBaseOutput(leaving, p.reserveIn, p.reserveOut, p.trade, p.creator, p.protocol, p.fund, p.creatorOnInput);
  const paid = getTransferAmountFeeV2(r.inputAmount, p.feeIn, p.epochInfo, true).amount;
  return { r, amountIn: paid, amountOut: p.amount };
}

function render(q) {
  return {
    amount_in: q.amountIn.toString(),
    amount_out: q.amountOut.toString(),
    trade_fee: q.r.tradeFee.toString(),
    protocol_fee: q.r.protocolFee.toString(),
    fund_fee: q.r.fundFee.toString(),
    creator_fee: q.r.creatorFee.toString(),
  };
}

function instruction(p) {
  const ix = p.c.ix;
  const pool = p.pool;
  const [inVault, outVault] = p.c.a_to_b ? [pool.vaultA, pool.vaultB] : [pool.vaultB, pool.vaultA];
  const [inProg, outProg] = p.c.a_to_b ? [pool.mintProgramA, pool.mintProgramB] : [pool.mintProgramB, pool.mintProgramA];
  const [inMint, outMint] = p.c.a_to_b ? [pool.mintA, pool.mintB] : [pool.mintB, pool.mintA];
  const make = p.c.exact_in ? makeSwapCpmmBaseInInstruction : makeSwapCpmmBaseOutInstruction;
  const authority = getPdaPoolAuthority(PROGRAM).publicKey;
  const [first, second] = p.c.exact_in ? [p.amount, new BN(ix.threshold)] : [new BN(ix.threshold), p.amount];
  const built = make(
    PROGRAM, new PublicKey(ix.owner), authority, pool.configId, new PublicKey(ix.pool_id),
    new PublicKey(ix.source), new PublicKey(ix.destination), inVault, outVault, inProg, outProg,
    inMint, outMint, pool.observationId, first, second,
  );
  return {
    program: built.programId.toBase58(),
    data: Buffer.from(built.data).toString("hex"),
    keys: built.keys.map((k) => [k.pubkey.toBase58(), k.isSigner, k.isWritable]),
  };
}

const lines = [];
for await (const line of createInterface({ input: process.stdin })) if (line.trim()) lines.push(line);
const cases = lines.map((l) => JSON.parse(l));

if (process.argv[2] === "bench") {
  const prepared = cases.map(prepare);
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 1_000_000_000n) {
    for (const p of prepared) {
      try {
        quote(p, false);
      } catch {
        // a case the program refuses still costs a quote
      }
      n += 1;
    }
    elapsed = process.hrtime.bigint() - start;
  }
  console.log(JSON.stringify({ quotes_per_s: Math.round((n * 1e9) / Number(elapsed)) }));
} else {
  const out = [];
  for (const c of cases) {
    try {
      const p = prepare(c);
      const result = render(quote(p, false));
      if (c.exact_in && p.creatorOnInput && !p.creator.isZero()) {
        result.program_order = render(quote(p, true));
      }
      if (c.ix) result.ix = instruction(p);
      out.push(JSON.stringify(result));
    } catch (e) {
      out.push(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
    }
  }
  process.stdout.write(out.join("\n") + "\n");
}
