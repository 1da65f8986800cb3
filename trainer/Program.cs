return GenAiServerless.Trainer.TrainerCommand.Run(args, Console.Out, Console.Error);
