import { describe } from 'vitest';
import { simProperty } from './property.js';
import { MIXED } from './schedule.js';

describe('simulation: mixed', () => {
  simProperty('MIXED', MIXED, 101);
});
