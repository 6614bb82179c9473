// Side-by-side reference for the Phoenix venue: @ellipsis-labs/phoenix-sdk under node.
//
// stdin: JSON lines. {"kind": "market", "id", "address", "data": base64} registers a market
// account; {"kind": "case", "id", "market", ...} asks about it (see `runCase`).
// stdout: one JSON line per case, big integers as decimal strings, floats as numbers.
// `node phoenix.mjs bench` instead times the SDK's quote over the cases for about a second
// and prints {"quotes_per_s": N}.
import { createInterface } from "node:readline";
import * as phoenix from "@ellipsis-labs/phoenix-sdk";
import { PublicKey } from "@solana/web3.js";

const markets = new Map();
const cases = [];

function loadMarket(line) {
  const market = phoenix.MarketState.load({
    address: new PublicKey(line.address),
    buffer: Buffer.from(line.data, "base64"),
  });
  markets.set(line.id, market);
}

function str(x) {
  return x.toString();
}

function ladderOf(market, c) {
  const depth = Number.MAX_SAFE_INTEGER;
  const ladder = market.getLadder(c.slot, c.unix_timestamp, depth);
  const side = (levels) => levels.map((l) => [str(l.priceInTicks), str(l.sizeInBaseLots)]);
  return { bids: side(ladder.bids), asks: side(ladder.asks) };
}

function headerOf(market) {
  const d = market.data;
  const h = d.header;
  return {
    discriminant: str(h.discriminant),
    status: str(h.status),
    sizes: [str(h.marketSizeParams.bidsSize), str(h.marketSizeParams.asksSize), str(h.marketSizeParams.numSeats)],
    base_mint: h.baseParams.mintKey.toBase58(),
    quote_mint: h.quoteParams.mintKey.toBase58(),
    base_vault: h.baseParams.vaultKey.toBase58(),
    quote_vault: h.quoteParams.vaultKey.toBase58(),
    base_decimals: str(h.baseParams.decimals),
    quote_decimals: str(h.quoteParams.decimals),
    base_lot_size: str(h.baseLotSize),
    quote_lot_size: str(h.quoteLotSize),
    tick_size_in_quote_atoms_per_base_unit: str(h.tickSizeInQuoteAtomsPerBaseUnit),
    market_sequence_number: str(h.marketSequenceNumber),
    raw_base_units_per_base_unit: str(h.rawBaseUnitsPerBaseUnit),
    base_lots_per_base_unit: str(d.baseLotsPerBaseUnit),
    tick_size_in_quote_lots_per_base_unit: str(d.quoteLotsPerBaseUnitPerTick),
    order_sequence_number: str(d.orderSequenceNumber),
    taker_fee_bps: str(d.takerFeeBps),
    unclaimed_quote_lot_fees: str(d.unclaimedQuoteLotFees),
    collected_quote_lot_fees: str(d.collectedQuoteLotFees),
  };
}

function conversionsOf(market, c) {
  return {
    base_lots_to_atoms: str(market.baseLotsToBaseAtoms(c.lots)),
    quote_lots_to_atoms: str(market.quoteLotsToQuoteAtoms(c.lots)),
    base_atoms_to_lots: str(market.baseAtomsToBaseLots(c.lots * Number(market.data.header.baseLotSize))),
    quote_atoms_to_lots: str(market.quoteAtomsToQuoteLots(c.lots * Number(market.data.header.quoteLotSize))),
    ticks_to_price: market.ticksToFloatPrice(c.ticks),
  };
}

function quoteOf(market, c) {
  const side = c.side === "bid" ? phoenix.Side.Bid : phoenix.Side.Ask;
  const args = { side, slot: c.slot, unixTimestamp: c.unix_timestamp };
  if (c.exact_in) {
    return market.getExpectedOutAmount({ ...args, inAmount: c.amount_units });
  }
  return market.getRequiredInAmount({ ...args, outAmount: c.amount_units });
}

function instructionOf(market, c) {
  const packet = phoenix.getImmediateOrCancelOrderPacket({
    side: c.ix.side === "bid" ? phoenix.Side.Bid : phoenix.Side.Ask,
    numBaseLots: c.ix.num_base_lots,
    numQuoteLots: c.ix.num_quote_lots,
    minBaseLotsToFill: c.ix.min_base_lots,
    minQuoteLotsToFill: c.ix.min_quote_lots,
    selfTradeBehavior: phoenix.SelfTradeBehavior.Abort,
  });
  const ix = phoenix.createSwapInstruction(
    {
      phoenixProgram: phoenix.PROGRAM_ID,
      logAuthority: phoenix.getLogAuthority(),
      market: market.address,
      trader: new PublicKey(c.ix.trader),
      baseAccount: new PublicKey(c.ix.base_account),
      quoteAccount: new PublicKey(c.ix.quote_account),
      baseVault: market.data.header.baseParams.vaultKey,
      quoteVault: market.data.header.quoteParams.vaultKey,
    },
    { orderPacket: packet }
  );
  return {
    program: ix.programId.toBase58(),
    data: Buffer.from(ix.data).toString("hex"),
    keys: ix.keys.map((k) => [k.pubkey.toBase58(), k.isSigner, k.isWritable]),
  };
}

function runCase(c) {
  const market = markets.get(c.market);
  const out = { id: c.id, header: headerOf(market), ladder: ladderOf(market, c) };
  out.conversions = conversionsOf(market, c);
  if (c.side) out.quote = quoteOf(market, c);
  if (c.ix) out.instruction = instructionOf(market, c);
  return out;
}

function bench() {
  const quoted = cases.filter((c) => c.side);
  if (quoted.length === 0) return { quotes_per_s: 0 };
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 1_000_000_000n) {
    for (const c of quoted) {
      quoteOf(markets.get(c.market), c);
      n += 1;
    }
    elapsed = process.hrtime.bigint() - start;
  }
  return { quotes_per_s: Math.round((n * 1e9) / Number(elapsed)) };
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const text of rl) {
  if (!text.trim()) continue;
  const line = JSON.parse(text);
  if (line.kind === "market") loadMarket(line);
  else cases.push(line);
}
if (process.argv[2] === "bench") {
  process.stdout.write(JSON.stringify(bench()) + "\n");
} else {
  const chunks = [];
  for (const c of cases) {
    try {
      chunks.push(JSON.stringify(runCase(c)));
    } catch (err) {
      chunks.push(JSON.stringify({ id: c.id, error: String(err && err.stack ? err.stack : err) }));
    }
  }
  process.stdout.write(chunks.join("\n") + "\n");
}
