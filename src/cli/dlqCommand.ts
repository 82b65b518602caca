import { Command } from 'commander';
import { dlqListCommand } from './dlqListCommand.js';
import { dlqPurgeCommand } from './dlqPurgeCommand.js';
import { dlqReplayCommand } from './dlqReplayCommand.js';
import { dlqShowCommand } from './dlqShowCommand.js';

/** `warden dlq list|show|replay|purge`: the dead-letter queue in a store file. */
export function dlqCommand(): Command {
  return new Command('dlq')
    .description('the dead-letter queue: list, show, replay, purge')
    .addCommand(dlqListCommand())
    .addCommand(dlqShowCommand())
    .addCommand(dlqReplayCommand())
    .addCommand(dlqPurgeCommand());
}
