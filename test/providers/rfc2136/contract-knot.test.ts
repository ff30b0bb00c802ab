import { providerContract } from '../contract.js';
import { knotBackend } from './backend.js';

providerContract(knotBackend);
