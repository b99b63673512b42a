// What the operator hands an agent for one repository, and the small vocabulary the replication layer shares.
export type Role = 'primary' | 'replica';
export type WriteConcern = 'async' | 'quorum' | 'all';

export interface Assignment {
  repo: string;
  role: Role;
  /** Only grows; a lower epoch is refused, a higher one learnt from a peer fences a primary. */
  epoch: number;
  /** The primary's advertised gRPC address. */
  primaryAddr: string;
  /** Where the primary serves REST, when the operator said so (else learnt from the stream's Hello). */
  primaryHttpAddr?: string;
  /** Advertised gRPC addresses of every member, the primary included. */
  members: string[];
  writeConcern: WriteConcern;
}

/** Members (the primary included) that must have applied a change before a write is acknowledged. */
export function requiredAcks(concern: WriteConcern, members: number): number {
  if (concern === 'async') return 1;
  if (concern === 'all') return members;
  return Math.floor(members / 2) + 1;
}
