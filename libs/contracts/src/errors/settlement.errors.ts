/** Refusals of settlement: runs, statement review, payouts and the ledger. */
export const SettlementErrors = {
  SETTLEMENT_RUN_NOT_FOUND: 404,
  SETTLEMENT_RANGE_INVALID: 422,
  SETTLEMENT_RUN_NOT_RESUMABLE: 409,
  STATEMENT_NOT_FOUND: 404,
  STATEMENT_INVALID_TRANSITION: 409,
  STATEMENT_FOUR_EYES: 403,
  STATEMENT_REASON_REQUIRED: 422,
  PAYOUT_NOT_FOUND: 404,
  PAYOUT_NOTHING_TO_PAY: 422,
  PAYOUT_ALREADY_PAID: 409,
  /** Marking paid is for someone other than whoever created (exported) the payout. */
  PAYOUT_FOUR_EYES: 403,
  /** Paying or cancelling a payout that is no longer exported (cancelled, or already paid). */
  PAYOUT_NOT_EXPORTED: 409,
  /**
   * Cancelling a payout whose bank file was downloaded, without confirming the bank did not receive
   * it (`bankDidNotReceive`): its statements would be paid again by the next payout.
   */
  PAYOUT_FILE_DOWNLOADED: 409,
  /** A failed transfer named a funder and merchant that is not a transfer row of the payout. */
  PAYOUT_ROW_NOT_FOUND: 422,
} as const;
