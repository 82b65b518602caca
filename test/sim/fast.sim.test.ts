import { describe } from 'vitest';
import { simProperty } from './property.js';
import { FAST } from './schedule.js';

describe('simulation: fast', () => {
  simProperty('FAST', FAST, 202);
});
