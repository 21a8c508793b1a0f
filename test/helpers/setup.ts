import { log } from '../../src/log.ts';

// Tests exercise failures on purpose; their warnings would bury the results. SCOUT_TEST_LOG=debug shows them.
log.level = process.env.SCOUT_TEST_LOG ?? 'silent';
