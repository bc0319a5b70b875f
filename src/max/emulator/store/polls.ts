import type { Database } from "../../../core/storage.js";

/** One voter's choice: the answers they picked, first vote time. */
export interface PollVoteRow {
  user_id: number;
  answer_id: number;
  time: number;
}

/**
 * Poll votes (`max_poll_votes`). The poll itself lives in its message's POLL attach; after a vote
 * the attach's counts and state are rewritten here too, in the same transaction as the vote. A
 * vote is no edit (the status stays), but it moves the message's `updateTime`: that is the new
 * version a client compares when it catches up after being offline.
 */
export class PollsRepo {
  private readonly s;

  constructor(readonly db: Database) {
    this.s = {
      votes: db.prepare(
        "SELECT user_id, answer_id, time FROM max_poll_votes WHERE poll_id = ? ORDER BY time, user_id",
      ),
      hasVoted: db.prepare("SELECT 1 FROM max_poll_votes WHERE poll_id = ? AND user_id = ? LIMIT 1").pluck(),
      clear: db.prepare("DELETE FROM max_poll_votes WHERE poll_id = ? AND user_id = ?"),
      insert: db.prepare(
        "INSERT INTO max_poll_votes (poll_id, user_id, answer_id, time) VALUES (?, ?, ?, ?)",
      ),
      setAttaches: db.prepare("UPDATE max_messages SET attaches = ?, update_time = ? WHERE id = ?"),
    };
  }

  votes(pollId: number): PollVoteRow[] {
    return this.s.votes.all(pollId) as PollVoteRow[];
  }

  hasVoted(pollId: number, userId: number): boolean {
    return this.s.hasVoted.get(pollId, userId) !== undefined;
  }

  /**
   * Replaces the user's choice, then lets `render` turn the new votes into the message's
   * attaches, all in one transaction. Returns what `render` returned.
   */
  vote<T>(
    input: { pollId: number; userId: number; answerIds: number[]; messageId: number; now: number },
    render: (votes: PollVoteRow[]) => { attaches: unknown[]; result: T },
  ): T {
    return this.db.transaction(() => {
      this.s.clear.run(input.pollId, input.userId);
      for (const answerId of input.answerIds)
        this.s.insert.run(input.pollId, input.userId, answerId, input.now);
      const { attaches, result } = render(this.votes(input.pollId));
      this.s.setAttaches.run(JSON.stringify(attaches), input.now, input.messageId);
      return result;
    })();
  }
}
