/** Seeds 101 to 150 of the simulator's faulty scenario (see scenario.ts); the other files run the rest in parallel. */
import { sweep } from './scenario.js'

sweep(101, 50)
