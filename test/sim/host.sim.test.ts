import { describe } from 'vitest';
import { simProperty } from './property.js';
import { HOST } from './schedule.js';

describe('simulation: host', () => {
  simProperty('HOST', HOST, 404);
});
