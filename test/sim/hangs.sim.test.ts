import { describe } from 'vitest';
import { simProperty } from './property.js';
import { HANGS } from './schedule.js';

describe('simulation: hangs', () => {
  simProperty('HANGS', HANGS, 303);
});
