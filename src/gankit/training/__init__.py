"""Generic GAN trainer: it calls the objective and never knows the loss math."""
