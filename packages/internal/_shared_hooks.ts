/**
 * Test hooks of {@linkcode SharedTable}, for the Worker tests only (not exported from the
 * package): module state, so each agent (Worker) sets its own.
 *
 * @module
 */

/** What a test can make this agent's shared tables do. */
export interface SharedHooks {
  /**
   * Called at named points of the write paths, with the locks of that point held: `"insert:linked"`
   * (a new element is on its chain, the insert not yet finished), `"update:copying"` (an update
   * of a present key half copied, its value lock held), `"delete:unlinked"` (unlinked, not yet
   * counted or freed), `"resize:moving"` (an element linked into the future table and still on
   * its old chain). A test blocks there to have the agent terminated at that moment.
   */
  step?: ((where: string) => void) | undefined;
  /**
   * Skip every bucket and value lock, and the value sequence of consistent updates (so a test
   * can show that it notices their absence).
   */
  unlocked?: boolean;
}

/** This agent's hooks. */
export const SHARED_HOOKS: SharedHooks = {};
